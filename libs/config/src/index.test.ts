import { describe, expect, it } from "vitest";
import { z } from "zod";
import { baseEnv, ConfigError, parseConfig, port, redactConfig } from "./index.js";

describe("parseConfig", () => {
  const schema = z.object({ ...baseEnv, PORT: port(3000) });

  it("applies defaults and freezes the result", () => {
    const c = parseConfig(schema, {});
    expect(c.CONCLAVE_NS).toBe("dev");
    expect(c.PORT).toBe(3000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("reports every issue at once", () => {
    try {
      parseConfig(schema, { CONCLAVE_NS: "a.b", PORT: "x", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).issues.map((i) => i.split(":")[0]).sort()).toEqual([
        "CONCLAVE_NS",
        "LOG_LEVEL",
        "PORT",
      ]);
    }
  });

  it("redacts secrets and passwords in URLs", () => {
    expect(redactConfig({ DATABASE_URL: "postgres://u:pw@h/db", API_KEY: "k", PORT: 1 })).toEqual({
      DATABASE_URL: "postgres://u:[redacted]@h/db",
      API_KEY: "[redacted]",
      PORT: 1,
    });
  });
});
