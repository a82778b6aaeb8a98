import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONSUMERS, names, STREAMS, type StreamKey } from "./names.js";

// The manifests name streams and consumers as plain strings; this keeps them equal to the constants.
const K8S_DIR = new URL("../../deploy/k8s/", import.meta.url);

/** Each worker pool: the Deployment KEDA scales, and the durable consumer whose lag it reads. */
const POOLS: ReadonlyArray<{ deployment: string; stream: StreamKey; consumer: string }> = [
  { deployment: "orchestrator", stream: "conv", consumer: CONSUMERS.orchestrator },
  { deployment: "executor", stream: "work", consumer: CONSUMERS.executorLlm },
  { deployment: "recorder", stream: "conv", consumer: CONSUMERS.recorder },
];

interface Doc {
  text: string;
}

interface Trigger {
  target: string;
  stream: string | undefined;
  consumer: string | undefined;
}

/** Every YAML document under deploy/k8s (a small regex reader: no YAML dependency). */
function loadDocs(): Doc[] {
  return readdirSync(K8S_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((file) =>
      readFileSync(new URL(file, K8S_DIR), "utf8")
        .split(/^---\s*$/m)
        .map((text) => ({ text })),
    );
}

const kindOf = (d: Doc) => /^kind:\s*(\S+)/m.exec(d.text)?.[1];
const nameOf = (d: Doc) => /^metadata:\s*\n\s+name:\s*"?([\w.-]+)"?/m.exec(d.text)?.[1];
/** The value of `key:` on a line of its own, quotes removed. */
const fieldOf = (text: string, key: string) =>
  new RegExp(`^\\s*${key}:\\s*"?([^"\\s#]+)"?`, "m").exec(text)?.[1];

function natsTriggers(docs: Doc[]): Trigger[] {
  return docs
    .filter((d) => kindOf(d) === "ScaledObject")
    .flatMap((d) => {
      const target = /scaleTargetRef:\s*\n\s+name:\s*"?([\w.-]+)"?/.exec(d.text)?.[1] ?? "(none)";
      return d.text
        .split(/^\s*- type:/m)
        .slice(1)
        .filter((t) => /^\s*"?nats-jetstream"?\s*$/m.test(t.split("\n")[0] ?? ""))
        .map((t) => ({ target, stream: fieldOf(t, "stream"), consumer: fieldOf(t, "consumer") }));
    });
}

describe("deploy/k8s names", () => {
  const docs = loadDocs();
  const configMaps = docs.filter((d) => kindOf(d) === "ConfigMap");
  const ns = configMaps.map((d) => fieldOf(d.text, "CONCLAVE_NS")).find((v) => v !== undefined);
  const triggers = natsTriggers(docs);

  it("reads CONCLAVE_NS and the KEDA triggers", () => {
    expect(ns, "CONCLAVE_NS in a ConfigMap under deploy/k8s").toBeDefined();
    expect(triggers.length).toBeGreaterThan(0);
  });

  it("names only streams and consumers that exist", () => {
    const n = names(ns ?? "");
    const streams = (Object.keys(STREAMS) as StreamKey[]).map((k) => n.stream(k));
    const consumers: string[] = Object.values(CONSUMERS);
    for (const t of triggers) {
      expect(streams, `stream of the ${t.target} trigger`).toContain(t.stream);
      expect(consumers, `consumer of the ${t.target} trigger`).toContain(t.consumer);
    }
  });

  it("scales every worker pool on its own consumer and stream", () => {
    const n = names(ns ?? "");
    const found = triggers.map((t) => `${t.target} <- ${t.stream}/${t.consumer}`);
    for (const pool of POOLS) {
      expect(found).toContain(`${pool.deployment} <- ${n.stream(pool.stream)}/${pool.consumer}`);
    }
  });

  it("targets Deployments that the manifests define", () => {
    const deployments = docs.filter((d) => kindOf(d) === "Deployment").map(nameOf);
    for (const t of triggers) expect(deployments).toContain(t.target);
  });
});
