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
  /** `watch`: an access token or API key with the read scope. */
  CONCLAVE_TOKEN: z.string().optional(),
});

export type CliConfig = z.infer<typeof schema>;
export const loadConfig = (env: Env) => parseConfig(schema, env);
