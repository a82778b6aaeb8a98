import { hkdfSync } from "node:crypto";
import { startSystem, type TestSystem, type TestUser, waitUntil } from "@conclave/testing";
import { compactDecrypt, decodeProtectedHeader } from "jose";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SECRET = "sk-ant-the-very-secret-key-0123456789";
// The development key encryption key every app uses unless KEY_ENCRYPTION_KEY is set.
const DEV_KEK = Buffer.from("conclave-development-only-key-32");

let sys: TestSystem;
let sql: postgres.Sql;
let other: TestUser;

beforeAll(async () => {
  sys = await startSystem();
  sql = postgres(sys.db.url, { max: 1 });
  other = await sys.register();
});
afterAll(async () => {
  await sql?.end();
  await sys?.stop();
});

const put = (provider: string, body: unknown, token?: string) =>
  sys.request("PUT", `/v1/provider-credentials/${provider}`, { body, token });

describe("provider credentials", () => {
  it("stores a key encrypted at rest and never shows it", async () => {
    const created = await put("anthropic", { apiKey: SECRET });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: "anthropic", baseUrl: null });
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    const replaced = await put("anthropic", {
      apiKey: `${SECRET}-rotated`,
      baseUrl: "https://proxy.example.com/v1",
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.createdAt).toBe(created.body.createdAt);
    const listed = await sys.get("/v1/provider-credentials");
    expect(listed.body.items).toEqual([replaced.body]);
    expect(JSON.stringify(listed.body)).not.toContain(SECRET);

    const [row] = await sql<{ secret_encrypted: string }[]>`
      select secret_encrypted from provider_credentials where account_id = ${sys.user.accountId}`;
    const sealed = row?.secret_encrypted ?? "";
    expect(sealed).not.toContain(SECRET);
    expect(decodeProtectedHeader(sealed)).toMatchObject({ alg: "dir", enc: "A256GCM" });
    const key = new Uint8Array(
      hkdfSync("sha256", DEV_KEK, new Uint8Array(0), "conclave/provider-credentials/v1", 32),
    );
    const opened = JSON.parse(new TextDecoder().decode((await compactDecrypt(sealed, key)).plaintext));
    expect(opened).toEqual({ a: sys.user.accountId, p: "anthropic", s: `${SECRET}-rotated` });
  });

  it("keeps each account's credentials its own", async () => {
    await put("gemini", { apiKey: "gemini-key-of-mine" });
    expect((await sys.get("/v1/provider-credentials", other.accessToken)).body.items).toEqual([]);
    expect(
      (await sys.request("DELETE", "/v1/provider-credentials/gemini", { token: other.accessToken })).status,
    ).toBe(404);
    expect((await sys.request("DELETE", "/v1/provider-credentials/gemini")).status).toBe(204);
    expect((await sys.request("DELETE", "/v1/provider-credentials/gemini")).status).toBe(404);
  });

  it("names bad input and refuses writes with a read-only key", async () => {
    const scripted = await put("scripted", { apiKey: "whatever-long" });
    expect(scripted.status).toBe(400);
    expect((scripted.body.errors as { path: string }[])[0]?.path).toBe("path.provider");
    const bad = await put("openai-compatible", { apiKey: "short", baseUrl: "ftp://x", extra: 1 });
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { path: string }[]).map((e) => e.path)).toEqual(
      expect.arrayContaining(["body.apiKey", "body.baseUrl", "body"]),
    );
    expect(JSON.stringify(bad.body)).not.toContain("short");
    const key = (await sys.post("/v1/api-keys", { name: "ro", scopes: ["read"] })).body.key as string;
    expect((await sys.get("/v1/provider-credentials", key)).status).toBe(200);
    expect((await put("gemini", { apiKey: "gemini-key-of-mine" }, key)).status).toBe(403);
  });

  it("never writes a key to any log", async () => {
    await waitUntil("logs", () => sys.apps.every((a) => a.lines.length > 0));
    for (const app of sys.apps) expect(app.lines.join("\n"), app.app).not.toContain("the-very-secret-key");
    expect(sys.app("edge").lines.join("\n")).toContain("provider credential stored");
  });
});
