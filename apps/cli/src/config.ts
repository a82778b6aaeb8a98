import { authEnv, baseEnv, dbEnv, type Env, parseConfig, port } from "@conclave/config";
import { z } from "zod";

const schema = z.object({
  ...baseEnv,
  ...dbEnv,
  ...authEnv,
  HOST: z.string().default("127.0.0.1"),
  EDGE_PORT: port(3000),
  FANOUT_PORT: port(3001),
  /** Where a nats-server started by `dev` keeps its JetStream data. */
  NATS_DATA_DIR: z.string().default(".data/nats"),
  /** Skip creating the demo group in `dev`. */
  NO_DEMO: z.string().optional(),
  /** `watch`, `replay`: an access token or API key with the read scope. */
  CONCLAVE_TOKEN: z.string().optional(),
  /** `replay`, `watch`: the edge's base URL (default: HOST and EDGE_PORT). */
  CONCLAVE_URL: z.url().optional(),
  /** `watch`, `replay --follow`: the fanout's WebSocket (default: HOST and FANOUT_PORT, `/v1/stream`). */
  CONCLAVE_STREAM_URL: z.url().optional(),
  /** Set (to anything): no colour, even on a terminal. */
  NO_COLOR: z.string().optional(),
});

export type CliConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);

const localHost = (c: CliConfig) => (c.HOST === "0.0.0.0" ? "127.0.0.1" : c.HOST);
/** The edge the API commands call. */
export const edgeUrl = (c: CliConfig) => c.CONCLAVE_URL ?? `http://${localHost(c)}:${c.EDGE_PORT}`;
/** The fanout's WebSocket the live commands follow. */
export const streamUrl = (c: CliConfig) =>
  c.CONCLAVE_STREAM_URL ?? `ws://${localHost(c)}:${c.FANOUT_PORT}/v1/stream`;
