import { AppError } from "@conclave/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MentionRoute, parseMentions, routeMentions } from "./mentions.js";
import type { RosterAgent } from "./roster.js";

const ada = { id: "ada", name: "Ada" };
const lovelace = { id: "lovelace", name: "Ada Lovelace" };
const grace = { id: "grace", name: "Grace" };
const bo = { id: "bo", name: "Bo" };
const cpp = { id: "cpp", name: "C++ Bot" };
const zoe = { id: "zoe", name: "Zoë" };
const roster: RosterAgent[] = [ada, lovelace, grace, bo, cpp, zoe];

describe("parseMentions", () => {
  it.each([
    ["a plain mention", "@Ada hi", ["ada"]],
    ["any case", "hi @ada and @GRACE!", ["ada", "grace"]],
    ["order of first mention", "@Grace then @Ada", ["grace", "ada"]],
    ["duplicates once", "@Ada @ada @Grace @ADA", ["ada", "grace"]],
    ["the longest name first", "@Ada Lovelace, please", ["lovelace"]],
    ["any whitespace inside a name", "@Ada   Lovelace and @ada\tlovelace", ["lovelace"]],
    ["a shorter name when the longer does not end at a boundary", "@Ada Lovelacey", ["ada"]],
    ["a possessive", "@Ada's idea", ["ada"]],
    ["in parentheses", "(@Grace)", ["grace"]],
    [
      "before sentence punctuation",
      "thanks @Grace. @Bo? @Ada! @Ada Lovelace:",
      ["grace", "bo", "ada", "lovelace"],
    ],
    ["in emphasis", "**@Grace** and *@Bo*", ["grace", "bo"]],
    ["after a comma with no space", "cc:@Grace,@Bo", ["grace", "bo"]],
    ["names with regex characters", "@C++ Bot, compile", ["cpp"]],
    ["non-ASCII names in any case", "@ZOË und @zoë", ["zoe"]],
    ["at the very end", "over to @Bo", ["bo"]],
    ["on a new line", "done.\n@Bo", ["bo"]],
  ])("finds %s", (_, text, ids) => {
    expect(parseMentions(text, roster).agentIds).toEqual(ids);
  });

  it.each([
    ["an email", "write to ada@grace.com"],
    ["an email with a plus", "a+b@Ada"],
    ["a domain after the name", "see @grace.com"],
    ["a hyphenated longer handle", "ping @bo-bot"],
    ["a handle glued to another", "@ada@grace"],
    ["a longer snake_case handle", "ask @ada_bot or _@Bo_"],
    ["a URL path", "https://example.com/@ada"],
    ["an escaped at sign", "\\@Ada"],
    ["a double at sign", "@@Ada"],
    ["a name inside a longer word", "@Bob and @Adam"],
    ["inline code", "use `@Ada` here"],
    ["a double-backtick span", "use ``@Ada ` @Bo`` here"],
    ["a fenced block", "```ts\nconst x = '@Ada';\n```"],
    ["a tilde fence", "~~~\n@Ada\n~~~"],
    ["an unclosed fence, to the end", "look:\n```\n@Ada\n@Grace"],
    ["nothing", ""],
    ["a lone at sign", "@ and @ "],
  ])("ignores %s", (_, text) => {
    expect(parseMentions(text, roster).agentIds).toEqual([]);
  });

  it("reads mentions around code", () => {
    expect(parseMentions("`x` @Ada ```\n@Bo\n``` @Grace `@Zoë`", roster).agentIds).toEqual(["ada", "grace"]);
    // An unmatched backtick is literal text, as in Markdown.
    expect(parseMentions("a ` then @Ada", roster).agentIds).toEqual(["ada"]);
  });

  it("lists unknown @words once, in any case, and not emails or known names", () => {
    expect(parseMentions("@Bob, @bob and @Carol-Ann asked @Ada; mail x@y.com or @grace.com", roster)).toEqual(
      {
        agentIds: ["ada"],
        unknown: ["Bob", "Carol-Ann"],
      },
    );
  });

  it("gives a shared name to the first seat", () => {
    const twins = [
      { id: "first", name: "Sam" },
      { id: "second", name: "sam" },
    ];
    expect(parseMentions("@SAM", twins).agentIds).toEqual(["first"]);
  });

  it("skips roster entries without a name", () => {
    expect(parseMentions("@ hi @Bo", [{ id: "blank", name: "  " }, bo]).agentIds).toEqual(["bo"]);
  });
});

const limits = { maxHops: 3, maxAlternations: 2 };
const route = (text: string, from: Parameters<typeof routeMentions>[0]["from"], hopsUsed = 0): MentionRoute =>
  routeMentions({ text, roster, from, hopsUsed, limits });
const targetsOf = (r: MentionRoute) => (r.kind === "route" ? r.targets.map((t) => t.agent.id) : []);
const blockedOf = (r: MentionRoute) =>
  r.kind === "route" || r.kind === "stop" ? r.blocked.map((b) => [b.agent.id, b.code]) : [];

describe("routeMentions", () => {
  const lin = { kind: "user", name: "Lin" } as const;

  it("routes a person's mentions without using a hop", () => {
    const r = route("@Grace and @Ada, thoughts?", lin, 1);
    expect(r).toMatchObject({ kind: "route", hopsUsed: 1, blocked: [] });
    expect(r.kind === "route" && r.targets.map((t) => [t.agent.id, t.reason])).toEqual([
      ["grace", "mentioned by Lin"],
      ["ada", "mentioned by Lin"],
    ]);
  });

  it("signals the fallback strategy when a person mentions no agent", () => {
    expect(route("hello all", lin)).toEqual({ kind: "fallback", reason: "Lin mentioned no agent" });
    expect(route("hello @Bob", lin).kind).toBe("fallback");
  });

  it("hands off from an agent, using one hop per target", () => {
    const r = route("@Grace over to you", { kind: "agent", path: ["ada"] });
    expect(r).toEqual({
      kind: "route",
      targets: [{ agent: grace, reason: "mentioned by @Ada" }],
      blocked: [],
      hopsUsed: 1,
      reason: "@Grace (mentioned by @Ada)",
    });
  });

  it("ends the line when an agent mentions no one, or only itself", () => {
    expect(route("I am done", { kind: "agent", path: ["ada"] }, 2)).toEqual({
      kind: "done",
      hopsUsed: 2,
      reason: "Ada handed off to no one",
    });
    expect(route("as @Ada I conclude", { kind: "agent", path: ["ada"] }).kind).toBe("done");
  });

  it("stops at the hop limit, naming the agent not called", () => {
    const r = route("@Grace?", { kind: "agent", path: ["ada"] }, 3);
    expect(r).toMatchObject({ kind: "stop", hopsUsed: 3 });
    expect(r.reason).toBe("guard: hop limit of 3 reached; @Grace not called");
  });

  it("calls the targets that fit under the hop limit, in order of mention", () => {
    const r = route("@Bo @Grace @Zoë", { kind: "agent", path: ["ada"] }, 1);
    expect(targetsOf(r)).toEqual(["bo", "grace"]);
    expect(blockedOf(r)).toEqual([["zoe", "hop_limit"]]);
    expect(r).toMatchObject({ hopsUsed: 3 });
  });

  it("allows no agent hand-off at all with a hop limit of 0", () => {
    const r = routeMentions({
      text: "@Bo",
      roster,
      from: { kind: "agent", path: ["ada"] },
      hopsUsed: 0,
      limits: { maxHops: 0 },
    });
    expect(r.kind).toBe("stop");
    expect(route("@Bo", lin).kind).toBe("route");
  });

  it("allows alternations up to the limit, then stops the ping-pong", () => {
    expect(targetsOf(route("@Grace", { kind: "agent", path: ["ada"] }))).toEqual(["grace"]);
    expect(targetsOf(route("@Ada", { kind: "agent", path: ["ada", "grace"] }))).toEqual(["ada"]);
    const r = route("@Grace", { kind: "agent", path: ["ada", "grace", "ada"] }, 2);
    expect(r).toMatchObject({ kind: "stop", hopsUsed: 2 });
    expect(r.reason).toBe("guard: Ada and Grace would alternate 3 times (limit 2); @Grace not called");
  });

  it("lets a third agent break the ping-pong, and a blocked bounce uses no hop", () => {
    const r = route("@Grace and @Bo", { kind: "agent", path: ["ada", "grace", "ada"] }, 2);
    expect(targetsOf(r)).toEqual(["bo"]);
    expect(blockedOf(r)).toEqual([["grace", "ping_pong"]]);
    expect(r).toMatchObject({ hopsUsed: 3 });
    expect(targetsOf(route("@Ada", { kind: "agent", path: ["ada", "grace", "bo", "grace"] }))).toEqual([
      "ada",
    ]);
  });

  it.each([
    [{ maxHops: -1 }, 0, "maxHops"],
    [{ maxAlternations: 0 }, 0, "maxAlternations"],
    [{}, 1.5, "hopsUsed"],
  ])("rejects limits %j with hopsUsed %d", (bad, hopsUsed, path) => {
    const run = () => routeMentions({ text: "", roster, from: lin, hopsUsed, limits: bad });
    expect(run).toThrow(AppError);
    expect(run).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ path })] }));
  });
});

// ASCII names, so upper-casing the text is a pure case change.
const asciiRoster: RosterAgent[] = [ada, lovelace, grace, bo, { id: "al", name: "Al" }];
const arbToken = fc.oneof(
  fc
    .constantFrom(...asciiRoster)
    .chain((a) => fc.constantFrom(`@${a.name}`, `@${a.name.toLowerCase()}`, `(@${a.name})`, `@${a.name}.`)),
  fc.constantFrom(
    "hello",
    "@Bob",
    "ada@grace.com",
    "`@Ada`",
    "```\n@Grace\n```",
    "\\@Bo",
    "x",
    ",",
    "@",
    "@Ada-bot",
  ),
);
const arbText = fc
  .array(arbToken, { maxLength: 12 })
  .chain((tokens) =>
    fc
      .array(fc.constantFrom(" ", "\n", "  "), { minLength: tokens.length, maxLength: tokens.length })
      .map((gaps) => tokens.map((t, i) => `${t}${gaps[i] ?? " "}`).join("")),
  );

describe("mentions: properties", () => {
  it("repeating the text or a mention never changes the result", () => {
    fc.assert(
      fc.property(arbText, fc.nat(), (text, pick) => {
        const once = parseMentions(text, asciiRoster);
        expect(parseMentions(`${text} ${text}`, asciiRoster)).toEqual(once);
        const again = asciiRoster.find(
          (a) => a.id === once.agentIds[pick % Math.max(1, once.agentIds.length)],
        );
        if (again) expect(parseMentions(`${text} @${again.name} `, asciiRoster)).toEqual(once);
      }),
      { numRuns: 400 },
    );
  });

  it("returns roster ids once each, whatever the case of the text", () => {
    fc.assert(
      fc.property(arbText, (text) => {
        const { agentIds } = parseMentions(text, asciiRoster);
        expect(new Set(agentIds).size).toBe(agentIds.length);
        for (const id of agentIds) expect(asciiRoster.map((a) => a.id)).toContain(id);
        expect(parseMentions(text.toUpperCase(), asciiRoster).agentIds).toEqual(agentIds);
      }),
      { numRuns: 400 },
    );
  });

  it("no chain of hand-offs exceeds the hop limit or the alternation limit", () => {
    const people = asciiRoster.slice(0, 4);
    const arbLimits = fc.record({
      maxHops: fc.integer({ min: 0, max: 6 }),
      maxAlternations: fc.integer({ min: 1, max: 3 }),
    });
    const arbReplies = fc.array(fc.subarray(people, { maxLength: 3 }), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(arbLimits, fc.constantFrom(...people), arbReplies, (limits, first, replies) => {
        let path: [string, ...string[]] = [first.id];
        let hopsUsed = 0;
        for (const mentioned of replies) {
          const text = mentioned.map((a) => `@${a.name}`).join(" ");
          const r = routeMentions({ text, roster: people, from: { kind: "agent", path }, hopsUsed, limits });
          if (r.kind !== "route") break;
          expect(r.hopsUsed).toBe(hopsUsed + r.targets.length);
          hopsUsed = r.hopsUsed;
          const next = r.targets[0];
          if (!next) break;
          path = [...path, next.agent.id];
          expect(hopsUsed).toBeLessThanOrEqual(limits.maxHops);
          expect(trailingBounces(path)).toBeLessThanOrEqual(limits.maxAlternations);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Consecutive hops at the end of `path` between its last two agents, counted the simple way. */
function trailingBounces(path: readonly string[]): number {
  const pair = new Set(path.slice(-2));
  let n = 0;
  for (let i = path.length - 1; i > 0 && pair.size === 2; i--) {
    if (path[i] === path[i - 1] || !pair.has(path[i] ?? "") || !pair.has(path[i - 1] ?? "")) break;
    n++;
  }
  return n;
}
