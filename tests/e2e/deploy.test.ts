import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { REPO_ROOT } from "@conclave/testing";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Service } from "kubernetes-models/v1";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

// The deployment files as an operator meets them: the Kubernetes manifests rendered as kustomize
// would and validated against the Kubernetes schemas, the compose file's structure, the deploy
// README's secret commands against what the manifests read, and the Node version everywhere.

type Obj = Record<string, any>;
const read = (path: string) => readFileSync(`${REPO_ROOT}${path}`, "utf8");
const APPS = ["edge", "fanout", "orchestrator", "executor", "recorder"] as const;

/**
 * Renders deploy/k8s as `kubectl apply -k` would for what this kustomization uses (no kustomize
 * binary here): its resources in order, `namespace` on every namespaced object, `labels` pairs on
 * every object's metadata, and `images` tags on matching containers.
 */
function renderKustomization(): Obj[] {
  const k = parse(read("deploy/k8s/kustomization.yaml")) as Obj;
  const known = new Set(["apiVersion", "kind", "namespace", "labels", "resources", "images"]);
  expect(Object.keys(k).filter((key) => !known.has(key))).toEqual([]);
  const images = new Map<string, string>((k.images ?? []).map((i: Obj) => [i.name, i.newTag]));
  return (k.resources as string[]).flatMap((file) =>
    parseAllDocuments(read(`deploy/k8s/${file}`))
      .map((d) => {
        expect(d.errors).toEqual([]);
        return d.toJS() as Obj | null;
      })
      .filter((o): o is Obj => o !== null)
      .map((o) => {
        o.metadata ??= {};
        if (o.kind !== "Namespace") o.metadata.namespace = k.namespace;
        for (const l of k.labels ?? []) o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
        const pod = o.spec?.template?.spec;
        for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
          const tag = images.get(c.image);
          if (tag) c.image = `${c.image}:${tag}`;
        }
        return { ...o, source: file };
      }),
  );
}

const MODELS: Record<string, new (o: Obj) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/Ingress": Ingress,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

const objects = renderKustomization();
const of = (kind: string) => objects.filter((o) => o.kind === kind);
const byName = (kind: string, name: string) => of(kind).find((o) => o.metadata.name === name);
const podSpecs = () =>
  [...of("Deployment"), ...of("Job")].map((o) => ({ o, pod: o.spec.template.spec as Obj }));

/** `kubectl ... create secret generic NAME --from-literal=KEY=...` commands of deploy/README.md, joined over `\` lines. */
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
        expect(o.apiVersion, source).toBe("keda.sh/v1alpha1");
        expect(byName("Deployment", o.spec.scaleTargetRef.name), source).toBeDefined();
        expect(o.spec.triggers.length, source).toBeGreaterThan(0);
        continue;
      }
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${source}: ${o.apiVersion} ${o.kind} has no schema here`).toBeDefined();
      expect(
        () => new (Model as NonNullable<typeof Model>)(manifest).validate(),
        `${source} ${o.kind}/${o.metadata.name}`,
      ).not.toThrow();
    }
  });

  it("runs every app as a Deployment with probes, resources, a non-root user and a grace period above its drain", () => {
    expect(
      of("Deployment")
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual([...APPS].sort());
    for (const d of of("Deployment")) {
      const pod = d.spec.template.spec;
      const [c] = pod.containers;
      expect(c.livenessProbe?.httpGet?.path, d.metadata.name).toBe("/healthz");
      expect(c.readinessProbe?.httpGet?.path, d.metadata.name).toBe("/readyz");
      const ports = new Set((c.ports ?? []).map((p: Obj) => p.name));
      expect(ports.has(c.livenessProbe.httpGet.port), d.metadata.name).toBe(true);
      expect(c.resources?.requests?.cpu && c.resources?.limits?.memory, d.metadata.name).toBeTruthy();
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      // libs/runtime drains for at most 15 s after SIGTERM; a preStop sleep comes before it.
      const preStop = Number(c.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
      expect(pod.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThanOrEqual(preStop + 15 + 5);
      expect(c.image, d.metadata.name).toMatch(new RegExp(`^conclave/${d.metadata.name}:`));
    }
  });

  it("gives every Deployment a PodDisruptionBudget and leaves replicas to an autoscaler", () => {
    for (const d of of("Deployment")) {
      const name = d.metadata.name as string;
      const pdb = of("PodDisruptionBudget").find(
        (p) =>
          p.spec.selector.matchLabels["app.kubernetes.io/name"] ===
          d.spec.template.metadata.labels["app.kubernetes.io/name"],
      );
      expect(pdb, `PDB for ${name}`).toBeDefined();
      const hpa = of("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === name);
      const keda = of("ScaledObject").find((s) => s.spec.scaleTargetRef.name === name);
      expect([hpa, keda].filter(Boolean), `one autoscaler for ${name}`).toHaveLength(1);
      expect(d.spec.replicas, `${name}: an apply must not reset the autoscaler's count`).toBeUndefined();
      if (hpa) expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    }
    expect(
      of("HorizontalPodAutoscaler")
        .map((h) => h.spec.scaleTargetRef.name)
        .sort(),
    ).toEqual(["edge", "fanout"]);
  });

  it("routes the fanout's WebSocket and SSE paths through an Ingress with long timeouts and no buffering", () => {
    const fanout = byName("Ingress", "fanout");
    const a = fanout?.metadata.annotations ?? {};
    expect(Number(a["nginx.ingress.kubernetes.io/proxy-read-timeout"])).toBeGreaterThanOrEqual(3600);
    expect(Number(a["nginx.ingress.kubernetes.io/proxy-send-timeout"])).toBeGreaterThanOrEqual(3600);
    expect(a["nginx.ingress.kubernetes.io/proxy-buffering"]).toBe("off");
    const paths = fanout?.spec.rules.flatMap((r: Obj) => r.http.paths.map((p: Obj) => p.path));
    expect(paths).toContain("/v1/stream");
    expect(
      paths.some((p: string) =>
        new RegExp(`^${p}$`).test("/v1/groups/0193e0a1-7c1b-7000-8000-000000000000/events"),
      ),
    ).toBe(true);
    for (const ing of of("Ingress"))
      for (const rule of ing.spec.rules)
        for (const p of rule.http.paths) {
          const svc = byName("Service", p.backend.service.name);
          expect(svc, p.backend.service.name).toBeDefined();
          expect(svc?.spec.ports.map((x: Obj) => x.name)).toContain(p.backend.service.port.name);
        }
  });

  it("provisions R3 streams for the 3-node NATS cluster of deploy/nats", () => {
    expect(byName("ConfigMap", "conclave-env")?.data.NATS_STREAM_REPLICAS).toBe("3");
    const values = parse(read("deploy/nats/values.yaml")) as Obj;
    expect(values.config.cluster.replicas).toBe(3);
    expect(values.config.jetstream.enabled).toBe(true);
    expect(values.config.jetstream.merge.sync_interval).toBe("always");
  });
});

describe("deploy/README.md's roll-out", () => {
  const documented = readmeSecrets();

  it("creates every Secret, with every key, that a Deployment or Job reads", () => {
    const needed = new Map<string, Set<string>>();
    const need = (name: string, key?: string) => {
      const keys = needed.get(name) ?? new Set<string>();
      if (key) keys.add(key);
      needed.set(name, keys);
    };
    for (const { pod } of podSpecs())
      for (const c of pod.containers) {
        for (const e of c.envFrom ?? []) if (e.secretRef) need(e.secretRef.name);
        for (const e of c.env ?? [])
          if (e.valueFrom?.secretKeyRef) need(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
      }
    expect([...needed.keys()].sort()).toEqual(["conclave-db", "conclave-keys", "conclave-nats"]);
    for (const [name, keys] of needed) {
      expect(documented.has(name), `deploy/README.md creates ${name}`).toBe(true);
      for (const key of keys) expect(documented.get(name)?.has(key), `${name} key ${key}`).toBe(true);
    }
    // The keys an app reads through envFrom, by the name its config gives them.
    expect(documented.get("conclave-db")).toEqual(new Set(["DATABASE_URL"]));
    expect(documented.get("conclave-keys")).toEqual(new Set(["KEY_ENCRYPTION_KEY"]));
  });

  it("references only ConfigMaps the kustomization creates, and applies only what the steps prepared", () => {
    for (const { o, pod } of podSpecs())
      for (const c of pod.containers)
        for (const e of c.envFrom ?? [])
          if (e.configMapRef) expect(byName("ConfigMap", e.configMapRef.name), o.source).toBeDefined();
    const text = read("deploy/README.md");
    for (const m of text.matchAll(/kubectl apply -k deploy\/k8s -l app\.kubernetes\.io\/name=([\w-]+)/g))
      expect(
        objects.some((o) => o.metadata.labels?.["app.kubernetes.io/name"] === m[1]),
        m[1],
      ).toBe(true);
    for (const m of text.matchAll(/job\/([\w-]+)/g))
      expect(byName("Job", m[1] as string), m[1]).toBeDefined();
  });
});

describe("docker-compose.yml", () => {
  const compose = parse(read("docker-compose.yml"), { merge: true }) as Obj;
  const services = compose.services as Obj;

  it("runs NATS 2.12 with fsync on every write and per-app users, PostgreSQL, the two jobs and every app", () => {
    expect(Object.keys(services).sort()).toEqual(
      [...APPS, "migrate", "nats", "postgres", "provision"].sort(),
    );
    expect(services.nats.image).toMatch(/^nats:2\.12/);
    const conf = read("deploy/nats/nats.conf");
    expect(conf).toMatch(/jetstream\s*\{[^}]*sync_interval:\s*always/);
    expect(conf).toMatch(/^include \.\/auth\.conf$/m);
    expect(services.nats.volumes).toContain("./deploy/nats/auth.conf:/etc/nats/auth.conf:ro");
    const auth = read("deploy/nats/auth.conf");
    for (const app of APPS) {
      const env = services[app].environment;
      expect(env.NATS_USER).toBe(app);
      const variable = `NATS_PASSWORD_${app.toUpperCase()}`;
      expect(env.NATS_PASSWORD).toContain(`\${${variable}:?`);
      expect(auth).toContain(`{ user: "${app}", password: $${variable},`);
      expect(services.nats.environment[variable]).toContain(`\${${variable}:?`);
    }
    expect(services.provision.environment.NATS_USER).toBe("conclave-admin");
  });

  it("gives every app a healthcheck, start conditions, a restart policy and the env file", () => {
    for (const app of APPS) {
      const s = services[app];
      expect(s.healthcheck?.test, app).toEqual(["CMD", "node", "scripts/healthcheck.mjs"]);
      expect(s.restart, app).toBe("unless-stopped");
      expect(
        s.env_file.map((f: Obj | string) => (typeof f === "string" ? f : f.path)),
        app,
      ).toContain(".env");
      expect(s.depends_on, app).toEqual({
        nats: { condition: "service_healthy" },
        postgres: { condition: "service_healthy" },
        migrate: { condition: "service_completed_successfully" },
        provision: { condition: "service_completed_successfully" },
      });
      expect(s.environment.KEY_ENCRYPTION_KEY, app).toContain("${KEY_ENCRYPTION_KEY:?");
      expect(s.build.args.APP, app).toBe(app);
    }
    for (const job of ["migrate", "provision"]) expect(services[job].restart).toBe("no");
    for (const dep of ["nats", "postgres"]) expect(services[dep].healthcheck?.test, dep).toBeDefined();
  });

  it("documents every variable it requires in .env.example", () => {
    const example = read(".env.example");
    const required = new Set(
      [...read("docker-compose.yml").matchAll(/\$\{(\w+):\?/g)].map((m) => m[1] as string),
    );
    expect(required.size).toBeGreaterThan(5);
    for (const v of required) expect(example, v).toMatch(new RegExp(`^#? ?${v}=`, "m"));
  });

  it("passes `docker compose config` where the compose CLI exists", () => {
    let available = true;
    try {
      execFileSync("docker", ["compose", "version"], { stdio: "ignore" });
    } catch {
      available = false;
    }
    if (!available) {
      // Without the CLI, the YAML parse and the structure above are the check.
      expect(services.edge).toBeDefined();
      return;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      KEY_ENCRYPTION_KEY: "k",
      POSTGRES_PASSWORD: "p",
    };
    for (const u of ["ADMIN", ...APPS.map((a) => a.toUpperCase())]) env[`NATS_PASSWORD_${u}`] = "x";
    const out = execFileSync("docker", ["compose", "-f", "docker-compose.yml", "config", "--quiet"], {
      cwd: REPO_ROOT,
      env,
    });
    expect(out.toString()).toBe("");
  });
});

describe("the Node version", () => {
  const root = JSON.parse(read("package.json")) as Obj;
  const floor = semver.minVersion(root.engines.node)?.version as string;
  const dockerfile = read("Dockerfile");
  const imageMajor = /^ARG NODE_IMAGE=node:(\d+)-slim$/m.exec(dockerfile)?.[1];

  it("is one floor that CI tests and one image line, both admitted by every installed package's engines", () => {
    expect(floor).toBe("20.19.0");
    expect(imageMajor).toBe("24");
    const lock = JSON.parse(read("package-lock.json")) as Obj;
    const refused: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages as Record<string, Obj>)) {
      const range = pkg.engines?.node;
      if (!path || !range || pkg.dev === true) continue;
      for (const v of [floor, `${imageMajor}.0.0`])
        if (!semver.satisfies(v, range)) refused.push(`${path} (${range}) refuses ${v}`);
    }
    expect(refused).toEqual([]);
    // Dev-only packages must at least install on the floor CI runs (no EBADENGINE there).
    const devRefused = Object.entries(lock.packages as Record<string, Obj>)
      .filter(([p, pkg]) => p && pkg.engines?.node && !semver.satisfies(floor, pkg.engines.node))
      .map(([p]) => p);
    expect(devRefused).toEqual([]);
  });

  it("builds images from the production bundle with production dependencies, as a non-root user, with a healthcheck and labels", () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/node scripts\/build\.mjs/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*scripts\/healthcheck\.mjs/m);
    expect(dockerfile).toMatch(/org\.opencontainers\.image\.source|org\.opencontainers\.image\.revision/);
    expect(dockerfile).toMatch(/exec node \\"apps\/\$CONCLAVE_APP\/dist\/main\.js\\"/);
    expect(dockerfile).not.toMatch(/--import tsx/);
    expect(read(".ci/run")).toMatch(/npm run --silent build[\s\S]*npm test/);
    expect(root.scripts.build).toBe("node scripts/build.mjs");
    expect(read("README.md")).toMatch(new RegExp(`Node ${imageMajor}`));
  });
});
