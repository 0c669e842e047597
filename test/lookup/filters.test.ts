/**
 * Docker's list filters (internal/lookup/filters.ts), as `--filter` and the Docker API's `filters`
 * query apply them: values of one key are alternatives, keys must all match, label filters must all
 * match; names and IDs by prefix; bad keys and values refused in Docker's words.
 */
import { describe, expect, test } from "bun:test";
import type { Service } from "../../internal/api/index.ts";
import {
  checkFilterKeys, filtersFromFlags, filtersFromQuery, nodeMatches, NODE_FILTERS, serviceMatches, taskMatches,
} from "../../internal/lookup/index.ts";
import { node, serviceSpec, task } from "../store/fixtures/objects.ts";

const m1 = node("aa11", { Spec: { Role: "manager", Availability: "active", Labels: { zone: "a", ssd: "1" } } }, "edge-m1");
const w1 = node("bb22", { Spec: { Role: "worker", Availability: "active", Labels: { zone: "b" } } }, "edge-w1");
const w2 = node("cc33", { Spec: { Role: "worker", Availability: "drain", Labels: {} } }, "pi-w2");
const names = (f: string[]) => [m1, w1, w2].filter((n) => nodeMatches(n, filtersFromFlags(f))).map((n) => n.Description.Hostname);

const svc = (id: string, name: string, replicas: number | "global", labels: Record<string, string> = {}): Service =>
  ({ ID: id, Spec: serviceSpec(name, replicas, { Labels: labels }) }) as unknown as Service;

describe("filters", () => {
  test("the CLI's repeated --filter and the API's query forms read the same", () => {
    const flags = filtersFromFlags(["role=worker", "name=edge", "name=pi"]);
    expect([...flags]).toEqual([["role", ["worker"]], ["name", ["edge", "pi"]]]);
    expect(filtersFromQuery(`{"role":{"worker":true},"name":{"edge":true,"pi":true,"off":false}}`)).toEqual(flags);
    expect(filtersFromQuery(`{"role":["worker"],"name":["edge","pi"]}`)).toEqual(flags); // the old array form
    expect(filtersFromQuery(null).size).toBe(0);
    expect(() => filtersFromFlags(["role"])).toThrow(`bad format of filter "role" (expected name=value)`);
    expect(() => filtersFromQuery("{")).toThrow("invalid filters: not JSON");
    expect(() => filtersFromQuery(`{"role":"worker"}`)).toThrow(`the value of "role" must be an object`);
  });

  test("nodes: alternatives within a key, all keys, all labels; names and IDs by prefix", () => {
    expect(names(["role=worker"])).toEqual(["edge-w1", "pi-w2"]);
    expect(names(["role=worker", "name=edge"])).toEqual(["edge-w1"]);
    expect(names(["name=EDGE"])).toEqual(["edge-m1", "edge-w1"]);
    expect(names(["name=pi", "name=edge-m"])).toEqual(["edge-m1", "pi-w2"]);
    expect(names(["id=bb"])).toEqual(["edge-w1"]);
    expect(names(["node.label=zone"])).toEqual(["edge-m1", "edge-w1"]);
    expect(names(["node.label=zone=a", "node.label=ssd"])).toEqual(["edge-m1"]);
    expect(names(["node.label=zone=b", "node.label=ssd"])).toEqual([]);
    expect(names(["label=zone"])).toEqual([]); // engine labels: swarm reports none
    expect(names(["membership=accepted"])).toEqual(["edge-m1", "edge-w1", "pi-w2"]);
    expect(() => names(["role=boss"])).toThrow("Invalid role filter: 'boss'");
  });

  test("unknown keys are refused, naming the ones accepted", () => {
    expect(() => checkFilterKeys(filtersFromFlags(["colour=red"]), NODE_FILTERS)).toThrow("invalid filter 'colour': use id, name, label, node.label, role, membership");
  });

  test("services by mode, name prefix and label; tasks by desired state and name", () => {
    const web = svc("s1", "web", 3, { tier: "front" });
    const agent = svc("s2", "agent", "global");
    const pick = (f: string[]) => [web, agent].filter((s) => serviceMatches(s, filtersFromFlags(f))).map((s) => s.Spec.Name);
    expect(pick(["mode=global"])).toEqual(["agent"]);
    expect(pick(["mode=replicated", "label=tier=front"])).toEqual(["web"]);
    expect(pick(["name=we"])).toEqual(["web"]);
    expect(() => pick(["mode=sometimes"])).toThrow("Invalid filter: 'mode'='sometimes'");
    const t = task("t9xyz", "s1", { Slot: 2, DesiredState: "shutdown" });
    expect(taskMatches(t, "web", filtersFromFlags(["desired-state=shutdown"]))).toBe(true);
    expect(taskMatches(t, "web", filtersFromFlags(["desired-state=running"]))).toBe(false);
    expect(taskMatches(t, "web", filtersFromFlags(["name=web.2"]))).toBe(true);
    expect(taskMatches(t, "web", filtersFromFlags(["name=web.3"]))).toBe(false);
  });
});
