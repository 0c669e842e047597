/**
 * Invariants of a cluster, checked after every step of a scenario (DESIGN.md): at most one running
 * task per slot in the replicated state, every acknowledged write present, and — once healed — the
 * desired state reached on the real engines.
 */
import { expect } from "bun:test";
import { isGlobal, replicasOf, type ClusterState } from "../../internal/api/index.ts";
import type { TestCluster } from "./harness.ts";

/** At most one task per slot is running (and desired running) in `st`. */
export function atMostOneRunningPerSlot(st: ClusterState): void {
  const seen = new Map<string, string>();
  for (const t of Object.values(st.tasks)) {
    if (t.Status.State !== "running" || t.DesiredState !== "running") continue;
    const key = `${t.ServiceID}/${t.Slot ?? t.NodeID}`;
    const other = seen.get(key);
    expect(other === undefined ? undefined : `${key}: ${other} and ${t.ID}`).toBeUndefined();
    seen.set(key, t.ID);
  }
}

/** Every service the test was told was created (and not removed) exists in `st`. */
export function acknowledgedPresent(st: ClusterState, acked: Iterable<string>): void {
  const names = new Set(Object.values(st.services).map((s) => s.Spec.Name));
  expect([...acked].filter((n) => !names.has(n))).toEqual([]);
}

/**
 * Converged: every replicated service runs exactly its replica count of containers across the
 * cluster's engines, every global service one per ready active node, and the state agrees.
 */
export function converged(c: TestCluster): boolean {
  let st: ClusterState;
  try {
    st = c.state();
  } catch {
    return false;
  }
  const ready = Object.values(st.nodes).filter((n) => n.Status.State === "ready" && n.Spec.Availability === "active").length;
  for (const s of Object.values(st.services)) {
    const want = isGlobal(s.Spec) ? ready : replicasOf(s.Spec)!;
    const running = c.runningContainers(s.ID).length;
    const inState = Object.values(st.tasks).filter((t) => t.ServiceID === s.ID && t.DesiredState === "running" && t.Status.State === "running").length;
    if (running !== want || inState !== want) return false;
  }
  return true;
}
