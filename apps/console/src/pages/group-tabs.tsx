import type { Group } from "../api/types.js";
import { Link } from "../components/link.js";
import { STRATEGY_LABELS } from "./groups-page.js";

/** A group's title and its sections. */
export function GroupTabs({
  group,
  current,
}: {
  group: Group | undefined;
  current: "room" | "members" | "memory" | "widget";
}) {
  if (!group) return null;
  const tab = (id: typeof current, to: string, label: string) => (
    <Link to={to} className="tab" aria-current={current === id ? "page" : undefined}>
      {label}
    </Link>
  );
  return (
    <div className="group-head">
      <div>
        <h1>{group.name}</h1>
        <p className="muted small">
          {STRATEGY_LABELS[group.strategy] ?? group.strategy} · {group.agents.length} agents · you are{" "}
          {group.role}
        </p>
      </div>
      <nav className="tabs" aria-label="Group">
        {tab("room", `/groups/${group.id}`, "Room")}
        {tab("members", `/groups/${group.id}/members`, "Members")}
        {tab("memory", `/groups/${group.id}/memory`, "Memory")}
        {group.role === "owner" && tab("widget", `/groups/${group.id}/widget`, "Widget")}
      </nav>
    </div>
  );
}
