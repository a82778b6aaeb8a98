import { createHash } from "node:crypto";
import { Objm } from "@conclave/bus";
import { type Frame, startSystem, type TestSystem, type TestUser } from "@conclave/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Over the edge's JSON body limit (64 KiB), under this deployment's file limit.
const MAX_FILE_BYTES = 200_000;

let sys: TestSystem;
let sql: postgres.Sql;

beforeAll(async () => {
  sys = await startSystem({ envFor: { edge: { MAX_FILE_BYTES: String(MAX_FILE_BYTES) } } });
  sql = postgres(sys.db.url, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  // The test bus removes streams and KV buckets, not object stores.
  await new Objm(sys.bus.nc)
    .open(sys.bus.names.bucket("files"))
    .then((os) => os.destroy())
    .catch(() => undefined);
  await sys?.stop();
});

// Mixed types and nulls: `code` mixes numbers and text, `amount` has an empty cell, `when` an NA.
const SALES = [
  "id,city,amount,when,active,code,note",
  "1,Paris,12.5,2024-01-03,true,1,a",
  "2,Lyon,,2024-02-10,false,A2,",
  "3,Paris,7.25,2024-03-01,,3,b",
  "4,Nice,3,2024-01-20,true,4,",
  "5,Lyon,10,NA,TRUE,x,c",
  "",
].join("\n");

interface Upload {
  body?: string | Uint8Array;
  name?: string;
  type?: string;
  user?: TestUser;
  /** Send the body as a stream, so it goes chunked with no Content-Length. */
  chunked?: boolean;
}

async function upload(groupId: string, opts: Upload = {}) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${(opts.user ?? sys.user).accessToken}`,
    "content-type": opts.type ?? "text/csv",
  };
  const body = opts.body ?? SALES;
  const init: RequestInit & { duplex?: "half" } = { method: "POST", headers, body };
  if (opts.chunked) {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    init.body = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 16_384) c.enqueue(bytes.subarray(i, i + 16_384));
        c.close();
      },
    });
    init.duplex = "half";
  }
  const query =
    opts.name === undefined ? "?name=sales.csv" : opts.name ? `?name=${encodeURIComponent(opts.name)}` : "";
  const res = await fetch(`${sys.edgeUrl}/v1/groups/${groupId}/files${query}`, init);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}

async function newGroup(user: TestUser = sys.user, agents: object[] = []) {
  const res = await sys.request("POST", "/v1/groups", {
    body: { name: "files", agents },
    token: user.accessToken,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; agents: { id: string }[] };
}

/** A CSV of about `bytes` bytes. */
function bigCsv(bytes: number): string {
  const lines = ["n,label,value"];
  let size = lines[0]?.length ?? 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${i},label-${i % 97},${(i * 1.5).toFixed(1)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n");
}

describe("uploading a CSV to a group", () => {
  it("stores and profiles it: rows, column types, nulls and statistics", async () => {
    const { id: groupId } = await newGroup();
    const res = await upload(groupId);
    expect(res.status).toBe(201);
    const file = res.body as {
      id: string;
      profile: { rows: number; columns: Record<string, unknown>[] };
    } & Record<string, unknown>;
    expect(res.headers.get("location")).toBe(`/v1/groups/${groupId}/files/${file.id}`);
    expect(file).toMatchObject({
      name: "sales.csv",
      contentType: "text/csv",
      size: Buffer.byteLength(SALES),
      sha256: createHash("sha256").update(SALES).digest("hex"),
      uploadedBy: sys.user.accountId,
    });
    expect(file.profile.rows).toBe(5);
    const col = (name: string) => file.profile.columns.find((c) => c.name === name);
    expect(file.profile.columns.map((c) => [c.name, c.type])).toEqual([
      ["id", "integer"],
      ["city", "string"],
      ["amount", "number"],
      ["when", "date"],
      ["active", "boolean"],
      ["code", "string"],
      ["note", "string"],
    ]);
    expect(col("id")).toMatchObject({ nulls: 0, distinct: 5, min: 1, max: 5, mean: 3 });
    expect(col("amount")).toMatchObject({ nulls: 1, min: 3, max: 12.5, mean: 8.1875 });
    expect(col("when")).toMatchObject({ nulls: 1, min: "2024-01-03", max: "2024-03-01" });
    expect(col("active")).toMatchObject({
      nulls: 1,
      top: [
        { value: "true", count: 3 },
        { value: "false", count: 1 },
      ],
    });
    expect(col("city")).toMatchObject({
      nulls: 0,
      distinct: 3,
      top: expect.arrayContaining([{ value: "Paris", count: 2 }]),
    });
    expect(col("code")).toMatchObject({ nulls: 0, distinct: 5 });
    expect(col("note")).toMatchObject({ nulls: 2, distinct: 3 });

    // The bytes are in the object store under <groupId>/<fileId>.
    const os = await new Objm(sys.bus.nc).open(sys.bus.names.bucket("files"));
    const stored = await os.getBlob(`${groupId}/${file.id}`);
    expect(Buffer.from(stored ?? []).toString()).toBe(SALES);
  });

  it("takes a file larger than a JSON body, with or without Content-Length", async () => {
    const { id: groupId } = await newGroup();
    const csv = bigCsv(150_000);
    for (const chunked of [false, true]) {
      const res = await upload(groupId, { body: csv, chunked, name: "big.csv" });
      expect(res.status, `chunked: ${chunked}`).toBe(201);
      expect(res.body).toMatchObject({
        size: Buffer.byteLength(csv),
        profile: { rows: csv.split("\n").length - 1 },
      });
    }
  });

  it("refuses a body that is not CSV (415, naming the header)", async () => {
    const { id: groupId } = await newGroup();
    for (const type of ["application/json", "text/plain", "text/csv; charset=latin1"]) {
      const res = await upload(groupId, { type, body: "a,b\n1,2\n" });
      expect(res.status, type).toBe(415);
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 415, errors: [{ path: "header.content-type" }] });
    }
    expect((await upload(groupId, { type: "text/csv; charset=utf-8", body: "a,b\n1,2\n" })).status).toBe(201);
  });

  it("refuses a file over the limit (413), announced or chunked", async () => {
    const { id: groupId } = await newGroup();
    const csv = bigCsv(MAX_FILE_BYTES + 50_000);
    for (const chunked of [false, true]) {
      const res = await upload(groupId, { body: csv, chunked });
      expect(res.status, `chunked: ${chunked}`).toBe(413);
      expect(res.body).toMatchObject({ status: 413, errors: [{ path: "body" }] });
      // The rest of the body is unread: the connection is not offered for reuse.
      expect(res.headers.get("connection")).toBe("close");
    }
    const list = await sys.get(`/v1/groups/${groupId}/files`);
    expect(list.body.items).toEqual([]);
    // Once the server has dropped what it did not read, a new upload still goes through.
    await new Promise((r) => setTimeout(r, 700));
    expect((await upload(groupId, { chunked: true })).status).toBe(201);
  });

  it("names what is wrong with a malformed or empty CSV, or a missing name (400)", async () => {
    const { id: groupId } = await newGroup();
    const unclosed = await upload(groupId, { body: 'a,b\n"unclosed,2\n3,4\n' });
    expect(unclosed.status).toBe(400);
    expect(unclosed.body).toMatchObject({ errors: [{ path: "body" }] });
    expect(String(unclosed.body.detail)).toMatch(/malformed/i);
    const empty = await upload(groupId, { body: "" });
    expect(empty.status).toBe(400);
    expect(String(empty.body.detail)).toMatch(/empty/i);
    const notUtf8 = await upload(groupId, {
      body: new Uint8Array([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xfe, 0x0a]),
    });
    expect(notUtf8.status).toBe(400);
    const nameless = await upload(groupId, { name: "" });
    expect(nameless.status).toBe(400);
    expect(nameless.body).toMatchObject({ errors: [{ path: "query.name" }] });
  });

  it("lets owners and members upload; a viewer gets 403, anyone else 404", async () => {
    const { id: groupId } = await newGroup();
    const [viewer, member, stranger] = [await sys.register(), await sys.register(), await sys.register()];
    for (const [who, role] of [
      [viewer, "viewer"],
      [member, "member"],
    ] as const) {
      const added = await sys.post(`/v1/groups/${groupId}/members`, { email: who.email, role });
      expect(added.status).toBe(201);
    }
    expect((await upload(groupId, { user: member })).status).toBe(201);
    const forbidden = await upload(groupId, { user: viewer });
    expect(forbidden.status).toBe(403);
    // Access comes first: neither the type nor the size of the body is judged for a non-member.
    expect((await upload(groupId, { user: stranger })).status).toBe(404);
    expect((await upload(groupId, { user: stranger, type: "application/json" })).status).toBe(404);
    expect((await upload(groupId, { user: viewer, type: "application/json" })).status).toBe(403);
    expect((await sys.get(`/v1/groups/${groupId}/files`, viewer.accessToken)).status).toBe(200);
    expect((await sys.get(`/v1/groups/${groupId}/files`, stranger.accessToken)).status).toBe(404);
    expect((await upload(groupId, { user: sys.user, type: "text/csv" })).status).toBe(201);
  });
});

describe("a group's files", () => {
  it("lists, gets and deletes them, each only through its own group", async () => {
    const { id: groupId } = await newGroup();
    const { id: otherGroupId } = await newGroup();
    const first = (await upload(groupId, { name: "first.csv" })).body as { id: string };
    const second = (await upload(groupId, { name: "second.csv", body: "x\n1\n2\n" })).body as { id: string };
    const elsewhere = (await upload(otherGroupId)).body as { id: string };

    const list = await sys.get(`/v1/groups/${groupId}/files`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: second.id, name: "second.csv", rows: 2, columns: 1 }),
      expect.objectContaining({ id: first.id, name: "first.csv", rows: 5, columns: 7 }),
    ]);
    const paged = await sys.get(`/v1/groups/${groupId}/files?limit=1`);
    expect(paged.body).toMatchObject({ items: [{ id: second.id }], nextCursor: second.id });
    const next = await sys.get(`/v1/groups/${groupId}/files?limit=1&cursor=${second.id}`);
    expect(next.body).toMatchObject({ items: [{ id: first.id }], nextCursor: null });

    const got = await sys.get(`/v1/groups/${groupId}/files/${first.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: first.id, name: "first.csv", profile: { rows: 5 } });
    expect((await sys.get(`/v1/groups/${groupId}/files/${elsewhere.id}`)).status).toBe(404);
    expect((await sys.request("DELETE", `/v1/groups/${groupId}/files/${elsewhere.id}`)).status).toBe(404);

    // Deleting takes owners; members may not.
    const member = await sys.register();
    await sys.post(`/v1/groups/${groupId}/members`, { email: member.email, role: "member" });
    const byMember = await sys.request("DELETE", `/v1/groups/${groupId}/files/${first.id}`, {
      token: member.accessToken,
    });
    expect(byMember.status).toBe(403);
    expect((await sys.request("DELETE", `/v1/groups/${groupId}/files/${first.id}`)).status).toBe(204);
    expect((await sys.get(`/v1/groups/${groupId}/files/${first.id}`)).status).toBe(404);
    expect((await sys.request("DELETE", `/v1/groups/${groupId}/files/${first.id}`)).status).toBe(404);
    const os = await new Objm(sys.bus.nc).open(sys.bus.names.bucket("files"));
    expect(await os.getBlob(`${groupId}/${first.id}`)).toBeNull();
    expect(await os.getBlob(`${otherGroupId}/${elsewhere.id}`)).not.toBeNull();
    expect(((await sys.get(`/v1/groups/${groupId}/files`)).body.items as unknown[]).length).toBe(1);
  });
});

describe("the group's agents and its files", () => {
  it("start their turn knowing the files, and query one with the dataset tool (only their group's)", async () => {
    const group = await newGroup(sys.user, [{ name: "Analyst", scripted: { replies: ["-"] } }]);
    const groupId = group.id;
    const file = (await upload(groupId)).body as { id: string };
    const { id: otherGroupId } = await newGroup();
    const foreign = (await upload(otherGroupId)).body as { id: string };
    const scripted = {
      toolCalls: [
        {
          name: "dataset",
          args: {
            datasetId: file.id,
            action: "query",
            groupBy: ["city"],
            aggregates: [
              { fn: "sum", column: "amount", as: "total" },
              { fn: "count", as: "n" },
            ],
            sort: [{ column: "city", direction: "asc" }],
          },
        },
        { name: "dataset", args: { datasetId: foreign.id, action: "describe" } },
      ],
      replies: ["Paris sold the most."],
    };
    await sql`update agents set tools = ${sql.json(["dataset"])}, config = ${sql.json({ scripted })}
      where id = ${group.agents[0]?.id ?? ""}`;

    // Work items are JetStream messages on a core subject too: listen to see what the model is sent.
    const work: {
      turnId: string;
      payload: { step: number; messages: { role: string; content: string }[] };
    }[] = [];
    const sub = sys.bus.nc.subscribe(sys.bus.names.workSubject("llm"), {
      callback: (_err, msg) => {
        const e = msg.json<(typeof work)[number] & { groupId: string }>();
        if (e.groupId === groupId) work.push(e);
      },
    });
    const client = await sys.openStream();
    await client.subscribe(groupId, 0);
    const posted = await sys.post(`/v1/groups/${groupId}/messages`, { content: "which city sold most?" });
    expect(posted.status).toBe(202);
    await client.waitFor(
      "the turn end",
      (f) => f.event?.type === "turn.completed" || f.event?.type === "turn.failed",
      30_000,
    );
    await client.close();
    sub.unsubscribe();
    const events: Frame[] = client.events(groupId);
    expect(events.at(-1)?.event?.type).toBe("turn.completed");

    const done = events.filter((f) => f.event?.type === "tool.completed").map((f) => f.event?.payload);
    expect(done).toHaveLength(2);
    const query = done.find((p) => p?.ok);
    expect(query?.result).toMatchObject({
      dataset: "sales.csv",
      columns: ["city", "total", "n"],
      rows: [
        ["Lyon", 10, 2],
        ["Nice", 3, 1],
        ["Paris", 19.75, 2],
      ],
    });
    const refused = done.find((p) => !p?.ok);
    expect(refused?.error).toMatchObject({ code: "not_found" });

    // Step 0 starts with the files context, then the message; later steps keep the message.
    const first = work.find((w) => w.turnId === posted.body.turnId && w.payload.step === 0);
    const [context, prompt] = first?.payload.messages ?? [];
    expect(context?.role).toBe("user");
    expect(context?.content).toMatch(/^Files in this group/);
    expect(context?.content).toContain(`${file.id} sales.csv: 5 rows, columns: id (integer, 0 nulls, 1..5)`);
    expect(context?.content).toContain("amount (number, 1 nulls, 3..12.5)");
    expect(context?.content).not.toContain(foreign.id);
    expect(prompt).toMatchObject({ role: "user", content: "which city sold most?" });
  });
});
