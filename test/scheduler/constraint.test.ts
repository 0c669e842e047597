import { describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { matchConstraint, nodeMatches, parseConstraint } from "../../internal/scheduler/index.ts";
import { node } from "../store/fixtures/objects.ts";

describe("parseConstraint", () => {
  test.each([
    ["node.role==manager", { key: "node.role", op: "==", value: "manager" }],
    ["node.role != worker", { key: "node.role", op: "!=", value: "worker" }],
    ["node.hostname==edge-1", { key: "node.hostname", op: "==", value: "edge-1" }],
    ["node.id==abc123", { key: "node.id", op: "==", value: "abc123" }],
    ["Node.Labels.Zone==eu-west", { key: "node.labels.Zone", op: "==", value: "eu-west" }],
    ["node.labels.disk!=hdd", { key: "node.labels.disk", op: "!=", value: "hdd" }],
    ["node.platform.os==linux", { key: "node.platform.os", op: "==", value: "linux" }],
  ])("%p parses", (text, want) => {
    expect(parseConstraint(text)).toMatchObject(want);
  });

  test.each([
    ["node.role=manager", "missing operator"],
    ["node.role", "missing operator"],
    ["==manager", "missing key"],
    ["node.role==", "missing value"],
    ["node.rol==manager", 'unknown key "node.rol"'],
    ["engine.labels.x==y", "engine.labels constraints are not supported"],
    ["node.labels.==y", "label name"],
    ["node.role==a==b", "more than one operator"],
    ["node.role==man;ager", "characters that are not allowed"],
  ])("%p is rejected: %s", (text, why) => {
    let err: unknown;
    try {
      parseConstraint(text);
    } catch (e) {
      err = e;
    }
    expect(isSwarmError(err) && err.code).toBe("INVALID_ARGUMENT");
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).toContain("use KEY==VALUE or KEY!=VALUE");
  });
});

describe("matching", () => {
  const n = node("n1abc", { Spec: { Role: "worker", Availability: "active", Labels: { zone: "Edge" } } }, "pi-4");

  test("== and != on every key; values compare case-insensitively", () => {
    const m = (s: string) => matchConstraint(n, parseConstraint(s));
    expect(m("node.id==n1abc")).toBe(true);
    expect(m("node.id==n1")).toBe(false); // IDs match in full
    expect(m("node.hostname==PI-4")).toBe(true);
    expect(m("node.role==worker")).toBe(true);
    expect(m("node.role!=manager")).toBe(true);
    expect(m("node.role==manager")).toBe(false);
    expect(m("node.labels.zone==edge")).toBe(true);
    expect(m("node.labels.zone!=edge")).toBe(false);
    expect(m("node.platform.arch==x86_64")).toBe(true);
  });

  test("a label the node lacks fails == and satisfies !=", () => {
    expect(matchConstraint(n, parseConstraint("node.labels.gpu==yes"))).toBe(false);
    expect(matchConstraint(n, parseConstraint("node.labels.gpu!=yes"))).toBe(true);
  });

  test("nodeMatches needs every constraint; an unparsable one matches nothing", () => {
    expect(nodeMatches(n, undefined)).toBe(true);
    expect(nodeMatches(n, ["node.role==worker", "node.labels.zone==edge"])).toBe(true);
    expect(nodeMatches(n, ["node.role==worker", "node.labels.zone==core"])).toBe(false);
    expect(nodeMatches(n, ["bogus"])).toBe(false);
  });
});
