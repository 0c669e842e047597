import { describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { findNode, findService, findTask, tryFind } from "../../internal/lookup/index.ts";
import { applyCommands, emptyState } from "../../internal/store/index.ts";
import { cmd, node, serviceSpec, task } from "../store/fixtures/objects.ts";

const state = applyCommands(emptyState(), [
  cmd.createService("abc123", serviceSpec("web")),
  cmd.createService("abd456", serviceSpec("db")),
  cmd.createService("xyz789", serviceSpec("abc")), // a name that looks like another's ID prefix
  cmd.upsertNode(node("node1aaa", {}, "edge-1")),
  cmd.upsertNode(node("node2bbb", {}, "edge-2")),
  cmd.upsertNode(node("node3ccc", {}, "edge-2")),
  cmd.createTask(task("t1aaaa", "abc123")),
  cmd.createTask(task("t1bbbb", "abc123")),
]);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isSwarmError(e) ? e.code : "not a SwarmError";
  }
  return undefined;
}

describe("lookup", () => {
  test("services by full ID, exact name, or unique ID prefix", () => {
    expect(findService(state, "abc123").Spec.Name).toBe("web");
    expect(findService(state, "db").ID).toBe("abd456");
    expect(findService(state, "abd").ID).toBe("abd456");
    expect(findService(state, "xy").ID).toBe("xyz789");
  });

  test("a name wins over an ID prefix", () => {
    expect(findService(state, "abc").ID).toBe("xyz789");
  });

  test("an ambiguous prefix, an unknown reference and an empty one are told apart", () => {
    expect(codeOf(() => findService(state, "ab"))).toBe("AMBIGUOUS");
    expect(codeOf(() => findService(state, "nope"))).toBe("NOT_FOUND");
    expect(codeOf(() => findService(state, ""))).toBe("INVALID_ARGUMENT");
    expect(() => findService(state, "nope")).toThrow("service nope not found");
    expect(() => findService(state, "ab")).toThrow("use more characters of the ID or the full name");
  });

  test("tasks by ID or unique prefix", () => {
    expect(findTask(state, "t1aaaa").ID).toBe("t1aaaa");
    expect(findTask(state, "t1b").ID).toBe("t1bbbb");
    expect(codeOf(() => findTask(state, "t1"))).toBe("AMBIGUOUS");
    expect(codeOf(() => findTask(state, "web"))).toBe("NOT_FOUND");
  });

  test("nodes by ID, unique hostname, prefix, or self", () => {
    expect(findNode(state, "edge-1").ID).toBe("node1aaa");
    expect(findNode(state, "node2").ID).toBe("node2bbb");
    expect(codeOf(() => findNode(state, "edge-2"))).toBe("AMBIGUOUS"); // two nodes share it
    expect(findNode(state, "self", { selfId: "node3ccc" }).ID).toBe("node3ccc");
    expect(codeOf(() => findNode(state, "self"))).toBe("NOT_FOUND");
  });

  test("tryFind turns NOT_FOUND into undefined but still throws AMBIGUOUS", () => {
    expect(tryFind(() => findService(state, "nope"))).toBeUndefined();
    expect(tryFind(() => findService(state, "web"))?.ID).toBe("abc123");
    expect(codeOf(() => tryFind(() => findService(state, "ab")))).toBe("AMBIGUOUS");
  });
});
