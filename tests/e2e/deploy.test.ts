import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadConfig as edgeConfig } from "@conclave/edge";
import { loadConfig as executorConfig } from "@conclave/executor";
import { loadConfig as fanoutConfig } from "@conclave/fanout";
import { loadConfig as orchestratorConfig } from "@conclave/orchestrator";
import { loadConfig as recorderConfig } from "@conclave/recorder";
import { REPO_ROOT } from "@conclave/testing";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { type IJob, Job } from "kubernetes-models/batch/v1";
import { type IIngress, Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { type IPodDisruptionBudget, PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ConfigMap,
  type IConfigMap,
  type IContainer,
  type IPodSpec,
  type IService,
  Namespace,
  Service,
} from "kubernetes-models/v1";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

// The deployment files as an operator meets them: the Kubernetes manifests rendered as kustomize
// would and validated against the Kubernetes schemas, the compose file's structure, the deploy
// README's secret commands against what the manifests read, and the Node version everywhere.

/** What every rendered object has; the typed views below are the schemas' types, checked first. */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: IContainer[]; initContainers?: IContainer[] } } };
  /** The file it came from. */
  source: string;
}
interface ScaledObject extends Omit<Manifest, "spec"> {
  spec: { scaleTargetRef: { name: string }; triggers: { type: string }[] };
}
interface Kustomization {
  namespace: string;
  labels?: { pairs: Record<string, string> }[];
  resources: string[];
  images?: { name: string; newTag: string }[];
}
interface ComposeService {
  image?: string;
  build?: { args: { APP: string } };
  environment: Record<string, string>;
  env_file?: (string | { path: string })[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  volumes?: string[];
}

const read = (path: string) => readFileSync(`${REPO_ROOT}${path}`, "utf8");
const APPS = ["edge", "fanout", "orchestrator", "executor", "recorder"] as const;

/**
 * Renders deploy/k8s as `kubectl apply -k` would for what this kustomization uses (no kustomize
 * binary here): its resources in order, `namespace` on every namespaced object, `labels` pairs on
 * every object's metadata, and `images` tags on matching containers. Any other kustomize field
 * fails the test, so the renderer never silently ignores one.
 */
function renderKustomization(): Manifest[] {
  const k = parse(read("deploy/k8s/kustomization.yaml")) as Kustomization;
  const known = new Set(["apiVersion", "kind", "namespace", "labels", "resources", "images"]);
  expect(Object.keys(k).filter((key) => !known.has(key))).toEqual([]);
  const images = new Map<string, string>((k.images ?? []).map((i) => [i.name, i.newTag]));
  return k.resources.flatMap((file) =>
    parseAllDocuments(read(`deploy/k8s/${file}`))
      .map((d) => {
        expect(d.errors).toEqual([]);
        return d.toJS() as Manifest | null;
      })
      .filter((o): o is Manifest => o !== null)
      .map((o) => {
        if (o.kind !== "Namespace") o.metadata.namespace = k.namespace;
        for (const l of k.labels ?? []) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
        const pod = o.spec?.template?.spec;
        for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
          const tag = c.image ? images.get(c.image) : undefined;
          if (tag) c.image = `${c.image}:${tag}`;
        }
        return { ...o, source: file };
      }),
  );
}

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/Ingress": Ingress,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

type Named<T> = T & { metadata: { name: string }; source: string };
const objects = renderKustomization();
/** The objects of one kind, as the schema's type (the first test validates them against it). */
const of = <T = Manifest>(kind: string) => objects.filter((o) => o.kind === kind) as unknown as Named<T>[];
const byName = <T = Manifest>(kind: string, name: string) =>
  of<T>(kind).find((o) => o.metadata.name === name);
const deployments = () => of<IDeployment>("Deployment");
const podOf = (o: Named<IDeployment> | Named<IJob>): IPodSpec => {
  const pod = o.spec?.template.spec;
  if (!pod) throw new Error(`${o.source}: no pod template`);
  return pod;
};
const podSpecs = () => [...deployments(), ...of<IJob>("Job")].map((o) => ({ o, pod: podOf(o) }));

/** `kubectl -n conclave create secret generic NAME --from-literal=KEY=...` commands of deploy/README.md. */
function readmeSecrets(): Map<string, Set<string>> {
  const text = read("deploy/README.md").replace(/\\\n\s*/g, " ");
  const secrets = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const m = /kubectl\s+-n\s+conclave\s+create\s+secret\s+generic\s+([\w-]+)(.*)/.exec(line);
    if (!m?.[1]) continue;
    const keys = [...(m[2] ?? "").matchAll(/--from-literal=([\w-]+)=/g)].map((k) => k[1] as string);
    secrets.set(m[1], new Set(keys));
  }
  return secrets;
}

describe("deploy/k8s, rendered", () => {
  it("validates every object against the Kubernetes schemas (KEDA's by its own fields)", () => {
    expect(objects.length).toBeGreaterThan(20);
    for (const o of objects) {
      const { source, ...manifest } = o;
      if (o.kind === "ScaledObject") {
        const so = o as ScaledObject;
        expect(o.apiVersion, source).toBe("keda.sh/v1alpha1");
        expect(byName("Deployment", so.spec.scaleTargetRef.name), source).toBeDefined();
        expect(so.spec.triggers.length, source).toBeGreaterThan(0);
        continue;
      }
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (!Model) throw new Error(`${source}: ${o.apiVersion} ${o.kind} has no schema here`);
      expect(
        () => new Model(manifest as never).validate(),
        `${source} ${o.kind}/${o.metadata.name}`,
      ).not.toThrow();
    }
  });

  it("runs every app as a Deployment with probes, resources, a non-root user and a grace period above its drain", () => {
    expect(
      deployments()
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual([...APPS].sort());
    for (const d of deployments()) {
      const name = d.metadata.name;
      const pod = podOf(d);
      const c = pod.containers[0];
      if (!c) throw new Error(`${name} has no container`);
      expect(c.livenessProbe?.httpGet?.path, name).toBe("/healthz");
      expect(c.readinessProbe?.httpGet?.path, name).toBe("/readyz");
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      expect(ports.has(String(c.livenessProbe?.httpGet?.port)), name).toBe(true);
      expect(ports.has(String(c.readinessProbe?.httpGet?.port)), name).toBe(true);
      expect(c.resources?.requests?.cpu, name).toBeDefined();
      expect(c.resources?.limits?.memory, name).toBeDefined();
      expect(pod.securityContext?.runAsNonRoot, name).toBe(true);
      expect(c.securityContext?.readOnlyRootFilesystem, name).toBe(true);
      // libs/runtime drains for at most 15 s after SIGTERM; a preStop sleep comes before it.
      const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThanOrEqual(preStop + 15 + 5);
      expect(c.image, name).toMatch(new RegExp(`^conclave/${name}:`));
    }
  });

  it("gives every Deployment a PodDisruptionBudget and leaves replicas to an autoscaler", () => {
    const hpas = of<IHorizontalPodAutoscaler>("HorizontalPodAutoscaler");
    for (const d of deployments()) {
      const name = d.metadata.name;
      const label = d.spec?.template.metadata?.labels?.["app.kubernetes.io/name"];
      expect(label, name).toBe(name);
      const pdb = of<IPodDisruptionBudget>("PodDisruptionBudget").find(
        (p) => p.spec?.selector?.matchLabels?.["app.kubernetes.io/name"] === label,
      );
      expect(pdb, `PDB for ${name}`).toBeDefined();
      const hpa = hpas.find((h) => h.spec?.scaleTargetRef.name === name);
      const keda = of<ScaledObject>("ScaledObject").find((s) => s.spec.scaleTargetRef.name === name);
      expect([hpa, keda].filter(Boolean), `one autoscaler for ${name}`).toHaveLength(1);
      expect(d.spec?.replicas, `${name}: an apply must not reset the autoscaler's count`).toBeUndefined();
      if (hpa) expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(2);
    }
    expect(hpas.map((h) => h.spec?.scaleTargetRef.name).sort()).toEqual(["edge", "fanout"]);
  });

  it("routes the fanout's WebSocket and SSE paths through an Ingress with long timeouts and no buffering", () => {
    const fanout = byName<IIngress>("Ingress", "fanout");
    const a = fanout?.metadata?.annotations ?? {};
    expect(Number(a["nginx.ingress.kubernetes.io/proxy-read-timeout"])).toBeGreaterThanOrEqual(3600);
    expect(Number(a["nginx.ingress.kubernetes.io/proxy-send-timeout"])).toBeGreaterThanOrEqual(3600);
    expect(a["nginx.ingress.kubernetes.io/proxy-buffering"]).toBe("off");
    const paths = (fanout?.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.path ?? ""));
    expect(paths).toContain("/v1/stream");
    const sse = "/v1/groups/0193e0a1-7c1b-7000-8000-000000000000/events";
    expect(paths.some((p) => new RegExp(`^${p}$`).test(sse))).toBe(true);
    const backends = of<IIngress>("Ingress").flatMap((ing) =>
      (ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend.service)),
    );
    expect(backends.map((b) => b?.name).sort()).toEqual(["edge", "fanout", "fanout"]);
    for (const b of backends) {
      const svc = byName<IService>("Service", b?.name ?? "");
      expect(
        svc?.spec?.ports?.map((x) => x.name),
        b?.name,
      ).toContain(b?.port?.name);
    }
  });

  it("provisions R3 streams for the 3-node NATS cluster of deploy/nats", () => {
    expect(byName<IConfigMap>("ConfigMap", "conclave-env")?.data?.NATS_STREAM_REPLICAS).toBe("3");
    const values = parse(read("deploy/nats/values.yaml")) as {
      config: {
        cluster: { replicas: number };
        jetstream: { enabled: boolean; merge: { sync_interval: string } };
      };
    };
    expect(values.config.cluster.replicas).toBe(3);
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.merge.sync_interval).toBe("always");
  });
});

describe("deploy/README.md's roll-out", () => {
  const documented = readmeSecrets();

  it("creates every Secret, with every key, that a Deployment or Job reads", () => {
    const needed = new Map<string, Set<string>>();
    const need = (name: string | undefined, key?: string) => {
      const keys = needed.get(name ?? "(unnamed)") ?? new Set<string>();
      if (key) keys.add(key);
      needed.set(name ?? "(unnamed)", keys);
    };
    for (const { pod } of podSpecs())
      for (const c of pod.containers) {
        for (const e of c.envFrom ?? []) if (e.secretRef) need(e.secretRef.name);
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) need(ref.name, ref.key);
        }
      }
    expect([...needed.keys()].sort()).toEqual(["conclave-db", "conclave-keys", "conclave-nats"]);
    for (const [name, keys] of needed) {
      expect(documented.has(name), `deploy/README.md creates ${name}`).toBe(true);
      for (const key of keys) expect(documented.get(name)?.has(key), `${name} key ${key}`).toBe(true);
    }
    // The keys the apps read through envFrom, under the names their configs parse.
    expect(documented.get("conclave-db")).toEqual(new Set(["DATABASE_URL"]));
    expect(documented.get("conclave-keys")).toEqual(new Set(["KEY_ENCRYPTION_KEY"]));
  });

  it("gives each app an environment its own config accepts, every variable in it one that config reads", () => {
    const configs: Record<(typeof APPS)[number], (env: Record<string, string>) => object> = {
      edge: edgeConfig,
      fanout: fanoutConfig,
      orchestrator: orchestratorConfig,
      executor: executorConfig,
      recorder: recorderConfig,
    };
    // Secret values as an operator following the steps would create them.
    const secretValue: Record<string, string> = {
      DATABASE_URL: "postgres://conclave:pw@postgres.example.internal:5432/conclave",
      KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    };
    for (const d of deployments()) {
      const app = d.metadata.name as (typeof APPS)[number];
      const c = podOf(d).containers[0];
      const env: Record<string, string> = {};
      const own: string[] = [];
      for (const e of c?.envFrom ?? []) {
        if (e.configMapRef)
          Object.assign(env, byName<IConfigMap>("ConfigMap", e.configMapRef.name ?? "")?.data);
        for (const key of e.secretRef ? (documented.get(e.secretRef.name ?? "") ?? []) : []) {
          env[key] = secretValue[key] ?? "secret";
          own.push(key);
        }
      }
      for (const e of c?.env ?? []) {
        env[e.name] = e.value ?? "secret";
        own.push(e.name);
      }
      const config = configs[app](env) as Record<string, unknown>;
      for (const key of own) expect(Object.keys(config), `${app} reads ${key}`).toContain(key);
    }
  });

  it("references only ConfigMaps the kustomization creates, and waits only for Jobs it applies", () => {
    for (const { o, pod } of podSpecs())
      for (const c of pod.containers)
        for (const e of c.envFrom ?? [])
          if (e.configMapRef) expect(byName("ConfigMap", e.configMapRef.name ?? ""), o.source).toBeDefined();
    const text = read("deploy/README.md");
    const selected = [
      ...text.matchAll(/kubectl apply -k deploy\/k8s -l app\.kubernetes\.io\/name=([\w-]+)/g),
    ];
    expect(selected.map((m) => m[1])).toEqual(["migrate", "provision"]);
    for (const m of selected)
      expect(
        objects.some((o) => o.metadata.labels?.["app.kubernetes.io/name"] === m[1]),
        m[1],
      ).toBe(true);
    for (const m of text.matchAll(/job\/([\w-]+)/g))
      expect(byName("Job", m[1] as string), m[1]).toBeDefined();
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(read("docker-compose.yml"), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const service = (name: string) => {
    const s = compose.services[name];
    if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
    return s;
  };

  it("runs NATS 2.12 with fsync on every write and per-app users, PostgreSQL, the two jobs and every app", () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [...APPS, "migrate", "nats", "postgres", "provision"].sort(),
    );
    const nats = service("nats");
    expect(nats.image).toMatch(/^nats:2\.12/);
    const conf = read("deploy/nats/nats.conf");
    expect(conf).toMatch(/jetstream\s*\{[^}]*sync_interval:\s*always/);
    expect(conf).toMatch(/^include \.\/auth\.conf$/m);
    expect(nats.volumes).toContain("./deploy/nats/auth.conf:/etc/nats/auth.conf:ro");
    const auth = read("deploy/nats/auth.conf");
    for (const app of APPS) {
      const env = service(app).environment;
      expect(env.NATS_USER).toBe(app);
      const variable = `NATS_PASSWORD_${app.toUpperCase()}`;
      expect(env.NATS_PASSWORD).toContain(`\${${variable}:?`);
      expect(auth).toContain(`{ user: "${app}", password: $${variable},`);
      expect(nats.environment[variable]).toContain(`\${${variable}:?`);
    }
    expect(service("provision").environment.NATS_USER).toBe("conclave-admin");
    expect(service("provision").environment.NATS_PASSWORD).toContain("${NATS_PASSWORD_ADMIN:?");
  });

  it("gives every app a healthcheck, start conditions, a restart policy and the env file", () => {
    for (const app of APPS) {
      const s = service(app);
      expect(s.healthcheck?.test, app).toEqual(["CMD", "node", "scripts/healthcheck.mjs"]);
      expect(s.restart, app).toBe("unless-stopped");
      expect(
        (s.env_file ?? []).map((f) => (typeof f === "string" ? f : f.path)),
        app,
      ).toContain(".env");
      expect(s.depends_on, app).toEqual({
        nats: { condition: "service_healthy" },
        postgres: { condition: "service_healthy" },
        migrate: { condition: "service_completed_successfully" },
        provision: { condition: "service_completed_successfully" },
      });
      expect(s.environment.KEY_ENCRYPTION_KEY, app).toContain("${KEY_ENCRYPTION_KEY:?");
      expect(s.build?.args.APP, app).toBe(app);
    }
    for (const job of ["migrate", "provision"]) expect(service(job).restart).toBe("no");
    for (const dep of ["nats", "postgres"]) expect(service(dep).healthcheck?.test, dep).toBeDefined();
  });

  it("documents every variable it requires in .env.example", () => {
    const example = read(".env.example");
    const required = new Set(
      [...read("docker-compose.yml").matchAll(/\$\{(\w+):\?/g)].map((m) => m[1] as string),
    );
    expect(required.size).toBeGreaterThan(5);
    for (const v of required) expect(example, v).toMatch(new RegExp(`^#? ?${v}=`, "m"));
  });

  it("passes `docker compose config` where the compose CLI exists (else the checks above stand alone)", () => {
    let available = true;
    try {
      execFileSync("docker", ["compose", "version"], { stdio: "ignore" });
    } catch {
      available = false;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      KEY_ENCRYPTION_KEY: "k",
      POSTGRES_PASSWORD: "p",
    };
    for (const u of ["ADMIN", ...APPS.map((a) => a.toUpperCase())]) env[`NATS_PASSWORD_${u}`] = "x";
    if (!available) {
      expect(() => execFileSync("docker", ["compose", "version"], { stdio: "ignore", env })).toThrow();
      return;
    }
    const out = execFileSync("docker", ["compose", "-f", "docker-compose.yml", "config", "--quiet"], {
      cwd: REPO_ROOT,
      env,
    });
    expect(out.toString()).toBe("");
  });
});

describe("the Node version", () => {
  const root = JSON.parse(read("package.json")) as {
    engines: { node: string };
    scripts: Record<string, string>;
  };
  const floor = semver.minVersion(root.engines.node)?.version ?? "(none)";
  const dockerfile = read("Dockerfile");
  const imageMajor = /^ARG NODE_IMAGE=node:(\d+)-slim$/m.exec(dockerfile)?.[1];

  it("is one floor that CI tests and one image line, both admitted by every installed package's engines", () => {
    expect(floor).toBe("20.19.0");
    expect(imageMajor).toBe("24");
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, { engines?: { node?: string }; dev?: boolean }>;
    };
    const refused: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      const range = pkg.engines?.node;
      if (!path || !range) continue;
      // Every package installs on the floor CI runs (no EBADENGINE); production ones on the image's Node too.
      const versions = pkg.dev ? [floor] : [floor, `${imageMajor}.0.0`];
      for (const v of versions)
        if (!semver.satisfies(v, range)) refused.push(`${path} (${range}) refuses ${v}`);
    }
    expect(refused).toEqual([]);
    expect(read("README.md")).toContain(`Node ≥ 20.19 is the floor`);
    expect(read("README.md")).toContain(`the images run Node ${imageMajor} LTS`);
  });

  it("builds images from the production bundle with production dependencies, as a non-root user, with a healthcheck and labels", () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/node scripts\/build\.mjs/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*scripts\/healthcheck\.mjs/m);
    expect(dockerfile).toMatch(/org\.opencontainers\.image\.revision/);
    expect(dockerfile).toContain('exec node \\"apps/$CONCLAVE_APP/dist/main.js\\"');
    expect(dockerfile).not.toMatch(/--import tsx/);
    expect(read(".ci/run")).toMatch(/npm run --silent build[\s\S]*npm test/);
    expect(root.scripts.build).toBe("node scripts/build.mjs");
  });
});
