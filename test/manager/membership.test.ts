/** planMembership: Raft membership and certificates follow each node's desired role, one step at a time. */
import { describe, expect, test } from "bun:test";
import type { ClusterState, Node, NodeRole } from "../../internal/api/index.ts";
import { CERT_VALIDITY_MS, planMembership, type MembershipInputs } from "../../internal/manager/index.ts";

const NOW = Date.parse("2026-06-01T00:00:00Z");

function node(id: string, role: NodeRole, certRole: NodeRole | undefined, serial = 10, notAfterMs = NOW + CERT_VALIDITY_MS): Node {
  const n: Node = {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: "",
    UpdatedAt: "",
    Spec: { Role: role, Availability: "active", Labels: {} },
    Description: { Hostname: id, Platform: { Architecture: "", OS: "" }, Resources: { NanoCPUs: 0, MemoryBytes: 0 }, Engine: { EngineVersion: "" } },
    Status: { State: "ready", Addr: "10.0.0.1" },
  };
  if (certRole) n.Certificate = { Serial: serial, Role: certRole, NotAfterMs: notAfterMs };
  return n;
}

function inputs(nodes: Node[], voters: string[], learners: string[] = [], extra: Partial<MembershipInputs> = {}): MembershipInputs {
  const state: ClusterState = { index: 1, nodes: Object.fromEntries(nodes.map((n) => [n.ID, n])), services: {}, tasks: {}, cluster: { ID: "c", CreatedAt: "", Spec: { Name: "d" }, PublicKey: "", Secrets: { KeySeed: "", DiscoveryKey: "", TokenGeneration: { worker: 1, manager: 1 } }, Revoked: [] } };
  return {
    state,
    conf: { voters, learners },
    self: "m1",
    connectedManagers: new Set(nodes.map((n) => n.ID)),
    sessions: new Set(nodes.map((n) => n.ID)),
    presented: new Map(nodes.map((n) => [n.ID, n.Certificate?.Serial ?? 0])),
    nowMs: NOW,
    ...extra,
  };
}

describe("planMembership", () => {
  test("nothing before the cluster is recorded", () => {
    const i = inputs([node("m1", "manager", "manager")], ["m1"]);
    expect(planMembership({ ...i, state: { ...i.state, cluster: undefined } })).toEqual([]);
  });

  test("a joined manager: added as a learner once connected with its manager certificate, then promoted", () => {
    const nodes = [node("m1", "manager", "manager"), node("m2", "manager", "manager")];
    expect(planMembership(inputs(nodes, ["m1"], [], { connectedManagers: new Set() }))).toEqual([]);
    expect(planMembership(inputs(nodes, ["m1"]))).toEqual([{ kind: "add-learner", id: "m2" }]);
    expect(planMembership(inputs(nodes, ["m1"], ["m2"]))).toEqual([{ kind: "promote", id: "m2" }]);
    expect(planMembership(inputs(nodes, ["m1", "m2"]))).toEqual([]);
  });

  test("a promoted worker gets a manager certificate first (over its session), then joins Raft", () => {
    const nodes = [node("m1", "manager", "manager"), node("w1", "manager", "worker")];
    expect(planMembership(inputs(nodes, ["m1"]))).toEqual([{ kind: "certify", id: "w1", role: "manager" }]);
    expect(planMembership(inputs(nodes, ["m1"], [], { sessions: new Set(["m1"]) }))).toEqual([]); // no session: wait
  });

  test("a demoted manager leaves Raft, then gets a worker certificate; the leader hands leadership away first", () => {
    const nodes = [node("m1", "manager", "manager"), node("m2", "worker", "manager"), node("m3", "manager", "manager")];
    expect(planMembership(inputs(nodes, ["m1", "m2", "m3"]))).toEqual([{ kind: "remove", id: "m2" }]);
    expect(planMembership(inputs(nodes, ["m1", "m3"]))).toEqual([{ kind: "certify", id: "m2", role: "worker" }]);
    const leaderDemoted = [node("m1", "worker", "manager"), node("m3", "manager", "manager")];
    expect(planMembership(inputs(leaderDemoted, ["m1", "m3"]))).toEqual([{ kind: "transfer-leadership", from: "m1" }]);
  });

  test("members of Raft whose node was removed leave it; one configuration change at a time", () => {
    const nodes = [node("m1", "manager", "manager"), node("m2", "manager", "manager"), node("m4", "worker", "manager")];
    expect(planMembership(inputs(nodes, ["m1", "m2", "m3", "m4"]))).toEqual([{ kind: "remove", id: "m4" }]);
    expect(planMembership(inputs(nodes.slice(0, 2), ["m1", "m2", "m3"]))).toEqual([{ kind: "remove", id: "m3" }]);
  });

  test("certificates are renewed when less than half their life remains; the leader renews its own", () => {
    const soon = NOW + CERT_VALIDITY_MS / 2 - 1;
    const nodes = [node("m1", "manager", "manager", 5, soon), node("w1", "worker", "worker", 6, soon), node("w2", "worker", "worker", 7)];
    expect(planMembership(inputs(nodes, ["m1"]))).toEqual([{ kind: "certify-self" }, { kind: "certify", id: "w1", role: "worker" }]);
  });

  test("a node presenting an older certificate than the recorded one is sent the recorded one again", () => {
    const nodes = [node("m1", "manager", "manager"), node("w1", "worker", "worker", 9)];
    const i = inputs(nodes, ["m1"], [], { presented: new Map([["w1", 4]]) });
    expect(planMembership(i)).toEqual([{ kind: "resend", id: "w1" }]);
  });
});
