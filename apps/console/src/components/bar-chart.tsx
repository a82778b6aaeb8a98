/** A horizontal-free, dependency-free bar chart in SVG: one bar per row, its value on top. */
export function BarChart(props: {
  title: string;
  rows: { label: string; value: number }[];
  format?: (v: number) => string;
}) {
  const format = props.format ?? ((v: number) => String(v));
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  const width = Math.max(320, props.rows.length * 56);
  const height = 180;
  const chartTop = 20;
  const chartBottom = height - 36;
  const band = width / Math.max(1, props.rows.length);
  const barWidth = Math.min(40, band * 0.6);
  return (
    <figure className="chart">
      <figcaption className="small muted">{props.title}</figcaption>
      {props.rows.length === 0 ? (
        <p className="muted small">Nothing in this range yet.</p>
      ) : (
        <svg
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label={`${props.title}: ${props.rows.map((r) => `${r.label} ${format(r.value)}`).join(", ")}`}
          preserveAspectRatio="xMinYMin meet"
        >
          <line x1="0" x2={width} y1={chartBottom} y2={chartBottom} className="axis" />
          {props.rows.map((r, i) => {
            const h = ((chartBottom - chartTop) * r.value) / max;
            const x = i * band + (band - barWidth) / 2;
            return (
              <g key={r.label}>
                <rect
                  x={x}
                  y={chartBottom - h}
                  width={barWidth}
                  height={Math.max(h, 1)}
                  rx="3"
                  className="bar-rect"
                />
                <text x={x + barWidth / 2} y={chartBottom - h - 5} textAnchor="middle" className="value">
                  {format(r.value)}
                </text>
                <text x={x + barWidth / 2} y={height - 16} textAnchor="middle" className="label">
                  {r.label.length > 10 ? `${r.label.slice(0, 9)}…` : r.label}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}
