/**
 * Secrets, the pure parts: sealing (never plaintext in the state, bound to its ID and the cluster key),
 * name resolution of a spec's references, and delivery — a node's assignments carry the payloads of
 * its live tasks' secrets and configs only (another node, or a task that ended, gets nothing).
 */
import { describe, expect, test } from "bun:test";
import type { ClusterState, SessionMessage, Task } from "../../internal/api/index.ts";
import { assignmentDelta, filesFor, newCluster, openSecret, planCreateConfig, planCreateSecret, planRemoveFiles, resolveFileRefs, sealSecret } from "../../internal/manager/index.ts";
import { NodeView } from "../../internal/node/view.ts";
import { applyCommands, applyWithOutcomes, emptyState } from "../../internal/store/index.ts";

const AT = "2026-01-01T00:00:00.000Z";
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function withSecret(): { st: ClusterState; secretId: string; configId: string } {
  let st = applyCommands(emptyState(), [{ kind: "cluster.init", cluster: newCluster(AT) }]);
  const s = planCreateSecret(st, { name: "pw", data: enc("hunter2-plaintext"), labels: {} }, AT);
  const c = planCreateConfig(st, { name: "conf", data: enc("a=1"), labels: {} }, AT);
  st = applyCommands(st, [...s.commands, ...c.commands]);
  return { st, secretId: s.id, configId: c.id };
}

function task(id: string, nodeId: string, secretId: string, over: Partial<Task> = {}): Task {
  return {
    ID: id, Version: { Index: 1 }, CreatedAt: AT, UpdatedAt: AT, ServiceID: "svc", Slot: 1, NodeID: nodeId, DesiredState: "running", Attempt: 0,
    Spec: {
      ContainerSpec: { Image: "busybox:latest", Secrets: [{ SecretID: secretId, SecretName: "pw", File: { Name: "pw", UID: "0", GID: "0", Mode: 0o444 } }] },
      RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 }, ForceUpdate: 0,
    },
    Status: { Timestamp: AT, State: "assigned", Message: "" },
    ...over,
  } as Task;
}

describe("sealing", () => {
  test("the state and the commands hold no plaintext; the payload opens only with its ID and cluster key", () => {
    const { st, secretId } = withSecret();
    expect(JSON.stringify(st)).not.toContain("hunter2-plaintext");
    expect(JSON.stringify(st)).not.toContain(Buffer.from("hunter2-plaintext").toString("base64"));
    const sealed = st.secrets![secretId]!.Sealed;
    expect(dec(openSecret(st.cluster!, secretId, sealed))).toBe("hunter2-plaintext");
    expect(() => openSecret(st.cluster!, "another-id", sealed)).toThrow(/does not open/);
    expect(() => openSecret(newCluster(AT), secretId, sealed)).toThrow(/does not open/);
    // Fresh nonce each time.
    expect(sealSecret(st.cluster!, "x", enc("same"))).not.toBe(sealSecret(st.cluster!, "x", enc("same")));
  });
  test("empty or oversized data, and names taken, are refused", () => {
    const { st } = withSecret();
    expect(() => planCreateSecret(st, { name: "e", data: new Uint8Array(), labels: {} }, AT)).toThrow(/empty/);
    expect(() => planCreateSecret(st, { name: "big", data: new Uint8Array(500 * 1024 + 1), labels: {} }, AT)).toThrow(/at most/);
    const again = planCreateSecret(st, { name: "pw", data: enc("x"), labels: {} }, AT);
    expect(applyWithOutcomes(st, again.commands).outcomes[0]).toMatchObject({ ok: false, code: "CONFLICT" });
  });
  test("references are resolved by name; unknown names are NOT_FOUND; removal is refused while used", () => {
    const { st, secretId } = withSecret();
    const spec = { Name: "s", Labels: {}, Mode: { Replicated: { Replicas: 1 } }, EndpointSpec: { Ports: [] }, TaskTemplate: task("t", "n", "").Spec };
    expect(resolveFileRefs(st, structuredClone(spec)).TaskTemplate.ContainerSpec.Secrets![0]!.SecretID).toBe(secretId);
    const bad = structuredClone(spec);
    bad.TaskTemplate.ContainerSpec.Secrets![0]!.SecretName = "nope";
    expect(() => resolveFileRefs(st, bad)).toThrow(/secret not found: nope/);
    const used = applyCommands(st, [{ kind: "service.create", id: "svc", spec: resolveFileRefs(st, structuredClone(spec)), at: AT }]);
    const rm = planRemoveFiles(used, "secret", ["pw"]);
    expect(applyWithOutcomes(used, rm.commands).outcomes[0]).toMatchObject({ ok: false, code: "CONFLICT" });
  });
});

describe("delivery", () => {
  test("a node gets the payloads of its live tasks only", () => {
    const { st: base, secretId } = withSecret();
    const st: ClusterState = { ...base, tasks: { t1: task("t1", "nodeA", secretId), t2: task("t2", "nodeA", secretId, { Status: { Timestamp: AT, State: "complete", Message: "" } }) } };
    const files = (tasks: Task[]) => filesFor(st, tasks);
    const a = assignmentDelta(st, "nodeA", null, undefined, files).msg as Extract<SessionMessage, { t: "assignments" }>;
    expect(a.files?.map((f) => [f.kind, f.id, dec(f.data)])).toEqual([["secret", secretId, "hunter2-plaintext"]]);
    const b = assignmentDelta(st, "nodeB", null, undefined, files).msg as Extract<SessionMessage, { t: "assignments" }>;
    expect(b.files).toBeUndefined();
    // Only the ended task left: nothing sent.
    const ended: ClusterState = { ...st, tasks: { t2: st.tasks.t2! } };
    expect((assignmentDelta(ended, "nodeA", null, undefined, (ts) => filesFor(ended, ts)).msg as any).files).toBeUndefined();
  });
  test("the node view keeps a payload only while a live task uses it", () => {
    const { secretId } = withSecret();
    const v = new NodeView("nodeA", "10.0.0.1");
    const t = task("t1", "nodeA", secretId);
    v.apply({ t: "assignments", full: true, tasks: [t], removed: [], services: [], files: [{ kind: "secret", id: secretId, data: enc("p") }] });
    expect(v.file("secret", secretId)).toEqual(enc("p"));
    v.apply({ t: "assignments", full: false, tasks: [{ ...t, Status: { Timestamp: AT, State: "shutdown", Message: "" } }], removed: [], services: [] });
    expect(v.file("secret", secretId)).toBeUndefined();
  });
});
