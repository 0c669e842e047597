/** State-machine handlers for cluster and node commands. Each is a no-op when it cannot apply. */
import type { Command } from "../api/index.ts";
import type { Draft } from "./draft.ts";

type Cmd<K extends Command["kind"]> = Extract<Command, { kind: K }>;

/** The first `cluster.init` wins; a second one is ignored (a cluster's identity never changes). */
export function applyClusterInit(d: Draft, c: Cmd<"cluster.init">): void {
  if (d.cluster !== undefined) return;
  d.cluster = c.cluster;
}

/** Inserts or replaces a node as given; the proposer owns its fields (Version included). */
export function applyNodeUpsert(d: Draft, c: Cmd<"node.upsert">): void {
  if (!c.node || typeof c.node.ID !== "string" || c.node.ID === "") return;
  d.putNode(c.node);
}

/** Forgets a node. Its tasks stay; the orchestrator decides what happens to them. */
export function applyNodeRemove(d: Draft, c: Cmd<"node.remove">): void {
  if (d.node(c.id) === undefined) return;
  d.deleteNode(c.id);
}
