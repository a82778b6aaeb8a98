import { type FormEvent, useState } from "react";
import { api } from "../api/client.js";
import type { Group, Person, Role } from "../api/types.js";
import { errorText, useApi } from "../components/use-api.js";
import { GroupTabs } from "./group-tabs.js";

const ROLES: Role[] = ["owner", "member", "viewer"];

export function MembersPage({ groupId }: { groupId: string }) {
  const group = useApi<Group>(`/v1/groups/${groupId}`);
  const people = useApi<{ items: Person[] }>(`/v1/groups/${groupId}/members`);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [error, setError] = useState<string>();
  const owner = group.data?.role === "owner";
  const act = async (f: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await f();
      people.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await api("POST", `/v1/groups/${groupId}/members`, { body: { email, role } });
      setEmail("");
    });
  };
  return (
    <section className="page">
      <GroupTabs group={group.data} current="members" />
      <div className="two">
        <div className="card">
          <h2>People</h2>
          {people.error && <p className="error">{people.error}</p>}
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                {owner && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {people.data?.items.map((p) => (
                <tr key={p.accountId}>
                  <td>{p.email}</td>
                  <td>
                    {owner ? (
                      <select
                        aria-label={`Role of ${p.email}`}
                        value={p.role}
                        onChange={(e) =>
                          void act(() =>
                            api("PATCH", `/v1/groups/${groupId}/members/${p.accountId}`, {
                              body: { role: e.target.value },
                            }),
                          )
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    ) : (
                      p.role
                    )}
                  </td>
                  {owner && (
                    <td>
                      <button
                        type="button"
                        className="ghost small"
                        onClick={() =>
                          void act(() => api("DELETE", `/v1/groups/${groupId}/members/${p.accountId}`))
                        }
                      >
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {owner && (
            <form className="row" onSubmit={add} aria-label="Add a person">
              <label className="grow">
                Email
                <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
              </label>
              <label>
                Role
                <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  {ROLES.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </label>
              <button type="submit" className="primary">
                Add
              </button>
            </form>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </div>
        <div className="card">
          <h2>Agents</h2>
          <ol className="plain">
            {group.data?.agents.map((a) => (
              <li key={a.id} className="agent-row">
                <span className="avatar" aria-hidden="true">
                  {a.name.slice(0, 1)}
                </span>
                <span className="grow">
                  <strong>{a.name}</strong>
                  <span className="muted small">
                    {" "}
                    · seat {a.seat + 1} · {a.provider}/{a.model}
                    {a.enabled ? "" : " · disabled"}
                  </span>
                </span>
              </li>
            ))}
          </ol>
        </div>
      </div>
    </section>
  );
}
