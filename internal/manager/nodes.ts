/**
 * `node update / promote / demote / rm`: checks against the current state, then the commands. Pure.
 * Refusals use Docker's wording where users know it. Raft membership and certificates then follow the
 * recorded role (membership.ts).
 */
import { SwarmError, type ClusterState, type Command, type Id, type Node, type NodeAvailability, type NodeSpec } from "../api/index.ts";
import { findNode } from "../lookup/index.ts";

export interface NodeChanges {
  availability?: NodeAvailability;
  labelAdd?: Record<string, string>;
  labelRm?: string[];
  role?: "manager" | "worker";
}

const AVAILABILITY: readonly NodeAvailability[] = ["active", "pause", "drain"];

/** Live facts the answering manager adds: who is reachable (quorum checks). */
export interface Reachability {
  self: Id;
  connected: (id: Id) => boolean;
}

function update(n: Node, spec: NodeSpec, at: string): Command {
  return { kind: "node.update", id: n.ID, spec, version: n.Version.Index, at };
}

export function planNodeUpdate(state: ClusterState, ref: string, ch: NodeChanges, at: string, live: Reachability, selfRef?: Id): { id: Id; commands: Command[] } {
  const n = findNode(state, ref, { selfId: selfRef });
  const spec: NodeSpec = { ...n.Spec, Labels: { ...n.Spec.Labels } };
  if (ch.availability !== undefined) {
    if (!AVAILABILITY.includes(ch.availability)) {
      throw SwarmError.invalid(`invalid availability "${ch.availability}": expected active, pause or drain`);
    }
    spec.Availability = ch.availability;
  }
  for (const k of ch.labelRm ?? []) {
    if (!(k in spec.Labels)) throw SwarmError.invalid(`key ${k} doesn't exist in node's labels`);
    delete spec.Labels[k];
  }
  for (const [k, v] of Object.entries(ch.labelAdd ?? {})) {
    if (k === "") throw SwarmError.invalid("a label needs a key: --label-add key=value");
    spec.Labels[k] = v;
  }
  if (ch.role !== undefined && ch.role !== n.Spec.Role) {
    if (ch.role === "manager") checkPromote(n);
    else checkDemote(state, n, live);
    spec.Role = ch.role;
  }
  return { id: n.ID, commands: [update(n, spec, at)] };
}

function checkPromote(n: Node): void {
  if (n.Status.State !== "ready") {
    throw SwarmError.invalid(`node ${n.Description.Hostname} (${n.ID.slice(0, 12)}) is ${n.Status.State}: a node can only be promoted while it is Ready`);
  }
}

function checkDemote(state: ClusterState, n: Node, live: Reachability): void {
  const managers = Object.values(state.nodes).filter((m) => m.Spec.Role === "manager");
  if (managers.length <= 1) throw SwarmError.invalid(`attempting to demote the last manager of the swarm: promote another node first`);
  const voters = managers.filter((m) => m.ManagerStatus?.Voter);
  const remaining = voters.filter((m) => m.ID !== n.ID);
  const reachable = remaining.filter((m) => m.ID === live.self || live.connected(m.ID)).length;
  if (remaining.length > 0 && reachable < Math.floor(remaining.length / 2) + 1) {
    throw SwarmError.invalid(
      `can't remove member from the raft: this would result in a loss of quorum (${reachable} of the ${remaining.length} remaining managers are reachable)`,
    );
  }
}

/** `node promote` / `node demote`: each node's role, through the same checks as `node update --role`. */
export function planRole(state: ClusterState, refs: string[], role: "manager" | "worker", at: string, live: Reachability): { names: string[]; commands: Command[] } {
  const out: Command[] = [];
  const names: string[] = [];
  for (const ref of refs) {
    const n = findNode(state, ref);
    names.push(n.Description.Hostname || n.ID);
    if (n.Spec.Role === role) continue;
    out.push(...planNodeUpdate(state, n.ID, { role }, at, live).commands);
  }
  return { names, commands: out };
}

export function planPromote(state: ClusterState, refs: string[], at: string, live: Reachability): { names: string[]; commands: Command[] } {
  return planRole(state, refs, "manager", at, live);
}

export function planDemote(state: ClusterState, refs: string[], at: string, live: Reachability): { names: string[]; commands: Command[] } {
  return planRole(state, refs, "worker", at, live);
}

/** `node rm`: a manager must be demoted first; a node that is not down needs `force`. */
export function planNodeRemove(state: ClusterState, refs: string[], force: boolean): { ids: Id[]; commands: Command[] } {
  const nodes = refs.map((r) => findNode(state, r)); // resolve all first: one bad ref removes nothing
  for (const n of nodes) {
    if (n.Spec.Role === "manager" || n.ManagerStatus) {
      throw SwarmError.invalid(
        `rpc error: node ${n.ID.slice(0, 25)} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
      );
    }
    if (!force && n.Status.State !== "down") {
      throw SwarmError.invalid(`node ${n.ID.slice(0, 25)} is not down and can't be removed: stop it first (or use --force)`);
    }
  }
  const ids = [...new Set(nodes.map((n) => n.ID))];
  return { ids, commands: ids.map((id) => ({ kind: "node.remove", id }) as Command) };
}
