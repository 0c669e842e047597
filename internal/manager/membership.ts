/**
 * Raft membership and certificates follow each node's desired role (`Node.Spec.Role`), one step at a
 * time (docs/cluster.md). `planMembership` is pure: state + Raft's configuration + which nodes are
 * connected as managers → the next steps. The leader performs them (`MembershipLoop`), one Raft
 * configuration change at a time, and re-plans on every change and tick.
 *
 * Promote (or join as a manager): certify as manager → the node starts Raft and reconnects with its
 * manager certificate → add it as a learner → promote it once caught up.
 * Demote: remove it from Raft (the leader first hands leadership away if it is the one) → certify
 * as worker → the node stops Raft.
 */
import type { ClusterState, Id, NodeRole } from "../api/index.ts";
import type { ConfState } from "../raft/index.ts";
import { CERT_VALIDITY_MS } from "./secrets.ts";

export type MembershipStep =
  | { kind: "certify"; id: Id; role: NodeRole }
  /** The leader's own manager certificate is due for renewal: it signs one for itself. */
  | { kind: "certify-self" }
  /** The node presents an older certificate than the one recorded: sign the recorded one again and send it. */
  | { kind: "resend"; id: Id }
  | { kind: "add-learner"; id: Id }
  | { kind: "promote"; id: Id }
  | { kind: "remove"; id: Id }
  | { kind: "transfer-leadership"; from: Id };

export interface MembershipInputs {
  state: ClusterState;
  conf: ConfState;
  self: Id;
  /** Nodes connected to the leader with a manager certificate (ready to receive Raft messages). */
  connectedManagers: ReadonlySet<Id>;
  /** Nodes with an open dispatcher session (a certificate can be pushed to them). */
  sessions: ReadonlySet<Id>;
  /** The serial of the certificate each connected node presented. */
  presented: ReadonlyMap<Id, number>;
  nowMs: number;
}

/** Certificate steps first (they need no Raft change), then at most one configuration change. */
export function planMembership(i: MembershipInputs): MembershipStep[] {
  const steps: MembershipStep[] = [];
  if (!i.state.cluster || !i.state.nodes[i.self]) return steps; // `init` has not recorded the cluster yet
  const voters = new Set(i.conf.voters);
  const learners = new Set(i.conf.learners);
  let confStep: MembershipStep | undefined;
  const ids = Object.keys(i.state.nodes).sort();
  for (const id of ids) {
    const n = i.state.nodes[id]!;
    const want = n.Spec.Role;
    const cert = n.Certificate;
    const member = voters.has(id) || learners.has(id);
    const renew = cert !== undefined && cert.NotAfterMs - i.nowMs < CERT_VALIDITY_MS / 2;
    const shown = i.presented.get(id);
    const behind = cert !== undefined && shown !== undefined && shown < cert.Serial && i.sessions.has(id) && id !== i.self;
    if (want === "manager") {
      if (id === i.self) {
        if (cert?.Role === "manager" && renew) steps.push({ kind: "certify-self" });
      } else if ((cert?.Role !== "manager" || renew) && i.sessions.has(id)) steps.push({ kind: "certify", id, role: "manager" });
      else if (behind) steps.push({ kind: "resend", id });
      if (cert?.Role !== "manager") continue;
      if (!member && i.connectedManagers.has(id)) confStep ??= { kind: "add-learner", id };
      else if (learners.has(id)) confStep ??= { kind: "promote", id };
    } else {
      if (member) {
        confStep ??= id === i.self ? { kind: "transfer-leadership", from: id } : { kind: "remove", id };
        continue;
      }
      if ((cert?.Role !== "worker" || renew) && i.sessions.has(id)) steps.push({ kind: "certify", id, role: "worker" });
      else if (behind) steps.push({ kind: "resend", id });
    }
  }
  // Members whose node was removed from the cluster leave Raft too.
  for (const id of [...voters, ...learners].sort()) {
    if (i.state.nodes[id] === undefined) confStep ??= id === i.self ? { kind: "transfer-leadership", from: id } : { kind: "remove", id };
  }
  if (confStep) steps.push(confStep);
  return steps;
}
