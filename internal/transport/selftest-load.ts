/**
 * Request load for `swarm __transport-node --load-ms N --report-ms M` (soak tests and benchmarks):
 * every N ms one "selftest.ping" request to each connected peer; every M ms one event
 * {"event":"load", n, failed, failedBy: {peer id prefix: count}, p50, p99, max (ms, over that window),
 * lat: every latency of the window (ms, 0.1 ms steps), rss (bytes)}.
 */
import type { ClusterTransport } from "./types.ts";

export function startLoad(t: ClusterTransport, everyMs: number, reportMs: number, emit: (o: object) => void): () => void {
  let lat: number[] = [];
  let failed: Record<string, number> = {};
  const tick = setInterval(() => {
    for (const p of t.peers()) {
      if (p.class === "joiner") continue;
      const t0 = performance.now();
      t.request(p.id, "selftest.ping", null, { timeoutMs: 5000 }).then(
        () => lat.push(performance.now() - t0),
        () => (failed[p.id.slice(0, 8)] = (failed[p.id.slice(0, 8)] ?? 0) + 1),
      );
    }
  }, everyMs);
  const report = setInterval(() => {
    const xs = lat.sort((a, b) => a - b);
    const at = (q: number) => (xs.length ? Number(xs[Math.min(xs.length - 1, Math.floor(xs.length * q))]!.toFixed(2)) : null);
    const n = Object.values(failed).reduce((a, b) => a + b, 0);
    emit({ event: "load", n: xs.length, failed: n, failedBy: failed, p50: at(0.5), p99: at(0.99), max: at(1), lat: xs.map((x) => Math.round(x * 10) / 10), rss: process.memoryUsage().rss });
    lat = [];
    failed = {};
  }, reportMs);
  return () => {
    clearInterval(tick);
    clearInterval(report);
  };
}
