import type { GroupSummary } from "../api/types.js";
import { Link } from "../components/link.js";
import { useApi } from "../components/use-api.js";

export const STRATEGY_LABELS: Record<string, string> = {
  broadcast: "Everyone answers",
  round_robin: "Round robin",
  mentions: "By mention",
  selector: "Selector picks",
  debate_vote: "Debate and vote",
};

export function GroupsPage() {
  const groups = useApi<{ items: GroupSummary[] }>("/v1/groups");
  return (
    <section className="page">
      <div className="page-head">
        <h1>Groups</h1>
        <Link to="/groups/new" className="button primary">
          New group
        </Link>
      </div>
      {groups.error && (
        <p className="error" role="alert">
          {groups.error}
        </p>
      )}
      {groups.loading && !groups.data && <p className="muted">Loading…</p>}
      {groups.data && groups.data.items.length === 0 && (
        <div className="empty card">
          <h2>No groups yet</h2>
          <p className="muted">
            A group is a conversation between people and agents. Start one from templates.
          </p>
          <Link to="/groups/new" className="button primary">
            Create a group
          </Link>
        </div>
      )}
      <ul className="grid" aria-label="Your groups">
        {groups.data?.items.map((g) => (
          <li key={g.id} className="card group-card">
            <Link to={`/groups/${g.id}`}>
              <h2>{g.name}</h2>
            </Link>
            {g.description && <p className="muted">{g.description}</p>}
            <p className="tags">
              <span className="tag">{STRATEGY_LABELS[g.strategy] ?? g.strategy}</span>
              <span className="tag subtle">{g.role}</span>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
