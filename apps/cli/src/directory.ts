import type { Api } from "./api.js";

/** Names of a group's people and agents, so output says who rather than which id. */
export interface Directory {
  agent(id: string): string | undefined;
  person(id: string): string | undefined;
  /** Names an event carries (its actor, an agent's name in its payload, a ballot's voters). */
  learn(event: { actor?: { kind: string; id: string; name?: string }; payload?: unknown }): void;
}

export function createDirectory(
  seed: { agents?: Iterable<[string, string]>; people?: Iterable<[string, string]> } = {},
): Directory {
  const agents = new Map(seed.agents ?? []);
  const people = new Map(seed.people ?? []);
  return {
    agent: (id) => agents.get(id),
    person: (id) => people.get(id),
    learn(event) {
      const a = event.actor;
      if (a?.kind === "agent" && a.name) agents.set(a.id, a.name);
      const p = event.payload as
        | { agentId?: unknown; agentName?: unknown; voters?: { agentId: string; agentName: string }[] }
        | undefined;
      if (typeof p?.agentId === "string" && typeof p.agentName === "string")
        agents.set(p.agentId, p.agentName);
      if (Array.isArray(p?.voters)) for (const v of p.voters) agents.set(v.agentId, v.agentName);
    },
  };
}

/** The group's roster and members from the edge; what cannot be read stays unnamed (ids are shown). */
export async function loadDirectory(api: Api, groupId: string): Promise<Directory> {
  const [roster, members] = await Promise.all([
    api
      .getJson<{ items: { id: string; name: string }[] }>(`/v1/groups/${groupId}/agents`)
      .catch(() => ({ items: [] })),
    api
      .getJson<{ items: { accountId: string; email: string }[] }>(`/v1/groups/${groupId}/members`)
      .catch(() => ({ items: [] })),
  ]);
  return createDirectory({
    agents: roster.items.map((a) => [a.id, a.name]),
    people: members.items.map((m) => [m.accountId, m.email]),
  });
}
