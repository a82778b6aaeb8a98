import type { AppMetrics } from "@conclave/metrics";

export type Transport = "ws" | "sse";

/** What the streams report: opened and closed connections, slow clients. */
export interface StreamObserver {
  opened(t: Transport): void;
  closed(t: Transport): void;
  /** A WebSocket closed as a slow consumer, or an SSE reader moved off the live tail. */
  slow(t: Transport): void;
}

/** The fanout's series: open connections by transport and slow-client drops. */
export function streamMetrics(m: AppMetrics): StreamObserver {
  const open = m.gauge("conclave_fanout_connections", "Open client streams, by transport.", ["transport"]);
  const slow = m.counter(
    "conclave_fanout_slow_clients_total",
    "Slow clients: WebSockets closed as slow consumers (4008), SSE readers that fell behind the live tail.",
    ["transport"],
  );
  for (const transport of ["ws", "sse"] as const) {
    open.set({ transport }, 0);
    slow.inc({ transport }, 0);
  }
  return {
    opened: (transport) => open.inc({ transport }),
    closed: (transport) => open.dec({ transport }),
    slow: (transport) => slow.inc({ transport }),
  };
}
