import type { VoteState } from "./transcript.js";

export function VoteCard({ question, vote }: { question: string; vote: VoteState }) {
  const counts = vote.closed?.choices ?? [];
  const max = Math.max(1, ...counts.map((c) => c.count));
  return (
    <section className="vote" aria-label="Vote">
      <div className="vote-head">
        <span className="badge">Vote</span>
        <span className="muted small">
          {vote.ballots.length} of {vote.voters} ballots{vote.closed ? " · closed" : " · open"}
        </span>
      </div>
      {question && (
        <p className="vote-q">{question.length > 240 ? `${question.slice(0, 240)}…` : question}</p>
      )}
      {vote.ballots.length > 0 && (
        <ul className="ballots">
          {vote.ballots.map((b) => (
            <li key={b.agentName}>
              <strong>{b.agentName}</strong> → {b.choice ?? <em>abstains</em>}{" "}
              <span className="muted small">({Math.round(b.confidence * 100)}%)</span>
              {b.rationale && <span className="muted small"> · {b.rationale}</span>}
            </li>
          ))}
        </ul>
      )}
      {vote.closed && (
        <div className="tally">
          <h4 className="sr-only">Tally</h4>
          {counts.map((c) => (
            <div key={c.choice} className="tally-row">
              <span className="tally-label">{c.choice}</span>
              <span className="bar" aria-hidden="true">
                <span
                  className={c.choice === vote.closed?.winner ? "fill win" : "fill"}
                  style={{ width: `${(c.count / max) * 100}%` }}
                />
              </span>
              <span className="tally-count">
                {c.count} · {Math.round(c.share * 100)}%
              </span>
            </div>
          ))}
          <p className="small muted">{vote.closed.reason}</p>
        </div>
      )}
      {vote.consensus && (
        <p className={vote.consensus.reached ? "consensus ok" : "consensus no"} role="status">
          {vote.consensus.text}
        </p>
      )}
    </section>
  );
}
