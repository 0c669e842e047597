/**
 * State-machine handlers for cluster and node commands, and for Raft's own membership entries. Each
 * returns its Outcome; a refused command changes nothing.
 */
import { OK, type Command, type Id, type Node, type Outcome } from "../api/index.ts";
import type { Draft } from "./draft.ts";

type Cmd<K extends Command["kind"]> = Extract<Command, { kind: K }>;

const ROLES = new Set(["manager", "worker"]);
const AVAILABILITY = new Set(["active", "pause", "drain"]);
const NODE_STATES = new Set(["unknown", "down", "ready", "disconnected"]);

function notFound(id: Id): Outcome {
  return { ok: false, code: "NOT_FOUND", message: `node ${id} not found` };
}

function bumped(n: Node, at: string | undefined): Pick<Node, "Version" | "UpdatedAt"> {
  return { Version: { Index: n.Version.Index + 1 }, UpdatedAt: at ?? n.UpdatedAt };
}

/** The first `cluster.init` wins; a second one is refused (a cluster's identity never changes). */
export function applyClusterInit(d: Draft, c: Cmd<"cluster.init">): Outcome {
  if (d.cluster !== undefined) return { ok: false, code: "CONFLICT", message: "this node is already part of a cluster" };
  if (!c.cluster || typeof c.cluster.ID !== "string") return { ok: false, code: "INVALID_ARGUMENT", message: "cluster.init needs a cluster" };
  d.cluster = { ...c.cluster, Revoked: [...(c.cluster.Revoked ?? [])] };
  return OK;
}

/** Bumps the role's token generation: the old join secret admits nobody from now on. */
export function applyRotateToken(d: Draft, c: Cmd<"cluster.rotate-token">): Outcome {
  const cl = d.cluster;
  if (!cl || !ROLES.has(c.role)) return { ok: false, code: "INVALID_ARGUMENT", message: "rotate-token needs a cluster and a role" };
  const gen = { ...cl.Secrets.TokenGeneration, [c.role]: cl.Secrets.TokenGeneration[c.role] + 1 };
  d.cluster = { ...cl, Secrets: { ...cl.Secrets, TokenGeneration: gen } };
  return { ok: true, value: gen[c.role] };
}

/** A joining node. Refused if the ID is already a member or was removed (revoked IDs never come back). */
export function applyNodeAdd(d: Draft, c: Cmd<"node.add">): Outcome {
  const n = c.node;
  if (!n || typeof n.ID !== "string" || n.ID === "") return { ok: false, code: "INVALID_ARGUMENT", message: "node.add needs a node" };
  if (d.node(n.ID) !== undefined) return { ok: false, code: "CONFLICT", message: `node ${n.ID.slice(0, 12)} is already a member of this cluster` };
  if (d.cluster?.Revoked.includes(n.ID)) {
    return { ok: false, code: "FORBIDDEN", message: `node ${n.ID.slice(0, 12)} was removed from this cluster; a removed node must leave (\`swarm leave --force\`) and join as a new node` };
  }
  d.putNode(n);
  return OK;
}

/** Inserts or replaces a node as given; the proposer owns its fields (Version included). */
export function applyNodeUpsert(d: Draft, c: Cmd<"node.upsert">): Outcome {
  if (!c.node || typeof c.node.ID !== "string" || c.node.ID === "") return { ok: false, code: "INVALID_ARGUMENT", message: "node.upsert needs a node" };
  d.putNode(c.node);
  return OK;
}

/** The leader's liveness verdict. Timestamp records when State last changed. */
export function applyNodeStatus(d: Draft, c: Cmd<"node.status">): Outcome {
  const n = d.node(c.id);
  if (n === undefined) return notFound(c.id);
  if (!NODE_STATES.has(c.state)) return { ok: false, code: "INVALID_ARGUMENT", message: `unknown node state ${c.state}` };
  const changed = n.Status.State !== c.state;
  const addr = c.addr ?? n.Status.Addr;
  const mAddr = n.ManagerStatus && c.managerAddr ? c.managerAddr : n.ManagerStatus?.Addr;
  if (!changed && addr === n.Status.Addr && mAddr === n.ManagerStatus?.Addr && (c.message ?? n.Status.Message) === n.Status.Message) return OK;
  const status: Node["Status"] = { State: c.state, Addr: addr, Timestamp: changed ? c.at : (n.Status.Timestamp ?? c.at) };
  const message = c.message ?? (changed ? undefined : n.Status.Message);
  if (message !== undefined) status.Message = message;
  const next: Node = { ...n, ...bumped(n, c.at), Status: status };
  if (n.ManagerStatus && mAddr) next.ManagerStatus = { ...n.ManagerStatus, Addr: mAddr };
  d.putNode(next);
  return OK;
}

export function applyNodeDescribe(d: Draft, c: Cmd<"node.describe">): Outcome {
  const n = d.node(c.id);
  if (n === undefined) return notFound(c.id);
  if (!c.description || typeof c.description.Hostname !== "string") return { ok: false, code: "INVALID_ARGUMENT", message: "node.describe needs a description" };
  if (JSON.stringify(n.Description) === JSON.stringify(c.description)) return OK;
  d.putNode({ ...n, ...bumped(n, c.at), Description: c.description });
  return OK;
}

/** `node update`, `promote`, `demote`: the spec as a whole; refused on a stale version. */
export function applyNodeUpdate(d: Draft, c: Cmd<"node.update">): Outcome {
  const n = d.node(c.id);
  if (n === undefined) return notFound(c.id);
  const s = c.spec;
  if (!s || !ROLES.has(s.Role) || !AVAILABILITY.has(s.Availability) || typeof s.Labels !== "object" || s.Labels === null) {
    return { ok: false, code: "INVALID_ARGUMENT", message: "node.update needs a spec with a role, an availability and labels" };
  }
  if (c.version !== undefined && c.version !== n.Version.Index) {
    return { ok: false, code: "CONFLICT", message: `update out of sequence: node ${n.Description.Hostname} changed meanwhile; read it again and retry` };
  }
  d.putNode({ ...n, ...bumped(n, c.at), Spec: { Role: s.Role, Availability: s.Availability, Labels: { ...s.Labels } } });
  return OK;
}

/** Records a certificate; its serial is this command's state index (unique, increasing). */
export function applyNodeCertificate(d: Draft, c: Cmd<"node.certificate">): Outcome {
  const n = d.node(c.id);
  if (n === undefined) return notFound(c.id);
  if (!ROLES.has(c.role) || !Number.isSafeInteger(c.notAfterMs)) return { ok: false, code: "INVALID_ARGUMENT", message: "node.certificate needs a role and an expiry" };
  const serial = d.index;
  d.putNode({ ...n, Version: { Index: n.Version.Index + 1 }, Certificate: { Serial: serial, Role: c.role, NotAfterMs: c.notAfterMs } });
  return { ok: true, value: serial };
}

/** Forgets a node and revokes its ID. Its tasks stay; the orchestrator decides what happens to them. */
export function applyNodeRemove(d: Draft, c: Cmd<"node.remove">): Outcome {
  if (d.node(c.id) === undefined) return notFound(c.id);
  d.deleteNode(c.id);
  if (d.cluster && !d.cluster.Revoked.includes(c.id)) d.cluster = { ...d.cluster, Revoked: [...d.cluster.Revoked, c.id] };
  return OK;
}

/**
 * Raft's membership after a committed configuration entry: voters and learners carry ManagerStatus
 * (Voter says which), every other node none. Not a Command: the Raft runner hands these entries to
 * the state machine itself, so the store's view of managers is exactly Raft's.
 */
export function applyMembership(d: Draft, conf: { voters: readonly Id[]; learners: readonly Id[] }): void {
  const voters = new Set(conf.voters);
  const learners = new Set(conf.learners);
  for (const n of Object.values(d.nodes)) {
    const member = voters.has(n.ID) || learners.has(n.ID);
    const voter = voters.has(n.ID);
    if (!member) {
      if (n.ManagerStatus === undefined) continue;
      const { ManagerStatus: _, ...rest } = n;
      d.putNode({ ...rest, Version: { Index: n.Version.Index + 1 } });
      continue;
    }
    if (n.ManagerStatus?.Voter === voter) continue;
    d.putNode({
      ...n,
      Version: { Index: n.Version.Index + 1 },
      ManagerStatus: { Leader: false, Reachability: "unknown", Addr: n.ManagerStatus?.Addr ?? `${n.Status.Addr}:2377`, Voter: voter },
    });
  }
}
