import { useEffect, useState } from "react";
import { signOut } from "./api/client.js";
import { accessToken, hasSession, onSessionChange } from "./api/session.js";
import type { Me } from "./api/types.js";
import { Link } from "./components/link.js";
import { useApi } from "./components/use-api.js";
import { AgentPage } from "./pages/agent-page.js";
import { AgentsPage } from "./pages/agents-page.js";
import { GroupsPage } from "./pages/groups-page.js";
import { MembersPage } from "./pages/members-page.js";
import { MemoryPage } from "./pages/memory-page.js";
import { NewGroupPage } from "./pages/new-group-page.js";
import { RoomPage } from "./pages/room-page.js";
import { SignInPage } from "./pages/sign-in-page.js";
import { TimelinePage } from "./pages/timeline-page.js";
import { UsagePage } from "./pages/usage-page.js";
import { WidgetPage } from "./pages/widget-page.js";
import { type Route, useRoute } from "./router.js";

/** Signed in (a session that refreshes), signed out, or still finding out after a reload. */
type SessionState = "checking" | "in" | "out";

export function App() {
  const [session, setSession] = useState<SessionState>(hasSession() ? "checking" : "out");
  useEffect(() => onSessionChange((inNow) => setSession(inNow ? "in" : "out")), []);
  useEffect(() => {
    if (session !== "checking") return;
    accessToken().then(
      (t) => setSession(t ? "in" : "out"),
      () => setSession("out"),
    );
  }, [session]);
  if (session === "checking")
    return (
      <main className="center" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  if (session === "out") return <SignInPage />;
  return <Shell />;
}

function Shell() {
  const route = useRoute();
  const me = useApi<Me>("/v1/me");
  const section = route.page === "usage" ? "usage" : route.page.startsWith("agent") ? "agents" : "groups";
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          Conclave
        </Link>
        <nav aria-label="Main">
          <Link to="/" aria-current={section === "groups" ? "page" : undefined}>
            Groups
          </Link>
          <Link to="/agents" aria-current={section === "agents" ? "page" : undefined}>
            Agents
          </Link>
          <Link to="/usage" aria-current={section === "usage" ? "page" : undefined}>
            Usage
          </Link>
        </nav>
        <div className="account">
          <span className="muted email" title={me.data?.email}>
            {me.data?.email}
          </span>
          <button type="button" className="ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "groups":
      return <GroupsPage />;
    case "new-group":
      return <NewGroupPage />;
    case "room":
      return <RoomPage key={route.groupId} groupId={route.groupId} />;
    case "members":
      return <MembersPage groupId={route.groupId} />;
    case "memory":
      return <MemoryPage groupId={route.groupId} />;
    case "widget":
      return <WidgetPage groupId={route.groupId} />;
    case "timeline":
      return <TimelinePage groupId={route.groupId} turnId={route.turnId} />;
    case "usage":
      return <UsagePage />;
    case "agents":
      return <AgentsPage />;
    case "agent":
      return <AgentPage agentId={route.agentId} />;
    case "not-found":
      return (
        <section className="page">
          <h1>Not found</h1>
          <p>
            <Link to="/">Back to your groups</Link>
          </p>
        </section>
      );
  }
}
