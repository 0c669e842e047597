/**
 * Issue 11, "Done means": random and mutated specs thrown at the API. Properties, after every request:
 * - the agent answers (never a 500: every refusal is a typed 4xx);
 * - every other service stays readable (`service ls`, `inspect` and `ps` of the sentinel and of the
 *   victim being updated);
 * - whatever the API accepted is a well-formed spec (it passes the shared schema as stored);
 * and at the end the sentinel still runs and a new service still converges (the leader loop lives).
 *
 * Seeded: SWARM_PROPERTY_SEED and SWARM_PROPERTY_RUNS override the defaults; a failure names the seed
 * and the request that broke the property.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { seededRand, type Rand } from "../../internal/raft/index.ts";
import { parseServiceSpec } from "../../internal/spec/index.ts";
import { IMAGE } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { ApiBench } from "./api.ts";

const SEED = Number(process.env.SWARM_PROPERTY_SEED ?? 11);
const RUNS = Number(process.env.SWARM_PROPERTY_RUNS ?? 1000);

const VALID = () => ({
  Name: "victim",
  Labels: { team: "blue" },
  TaskTemplate: {
    ContainerSpec: {
      Image: IMAGE,
      Args: ["sleep", "1000"],
      Env: ["A=1"],
      Labels: { x: "y" },
      Mounts: [{ Type: "tmpfs", Target: "/scratch" }, { Type: "bind", Source: "/tmp", Target: "/host", ReadOnly: true }],
      Dir: "/tmp",
      User: "nobody",
      Hostname: "h1",
      StopGracePeriod: 1e9,
      Init: true,
    },
    Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 << 20 }, Reservations: { NanoCPUs: 1e8, MemoryBytes: 8 << 20 } },
    RestartPolicy: { Condition: "any", Delay: 100e6, MaxAttempts: 0, Window: 0 },
    Placement: { Constraints: ["node.role==manager"] },
    ForceUpdate: 0,
  },
  Mode: { Replicated: { Replicas: 1 } },
  EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 0, PublishMode: "ingress" }] },
});

const STRINGS = ["", " ", "a", "A=1", "/", "/tmp", "..", "../x", "a//b", "\u0000", "x".repeat(5000), "🙂", "node.role==worker", "tcp", "sctp", "host", "global", "-1", "1e3", "null", "__proto__", "constructor"];
const NUMBERS = [-1, 0, 1, 2, 1.5, -0.5, 80, 65535, 65536, 70000, 100001, 6291455, 1e7, 2 ** 31, 2 ** 53, 1e300, -1e300];
/** Replicas stay small when accepted: a large accepted count only costs the test time, not coverage. */
const REPLICAS = [-1, 0, 1, 2, 1.5, 100001, 1e12, "3", null];

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[r.int(0, xs.length)]!;
}

function randomJson(r: Rand, depth = 0): unknown {
  switch (r.int(0, depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return r.next() < 0.5;
    case 2: return pick(r, NUMBERS);
    case 3: case 4: return pick(r, STRINGS);
    case 5: return Array.from({ length: r.int(0, 4) }, () => randomJson(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [pick(r, ["Image", "Replicas", "Global", "Target", "x", "Ports", "Mode"]), randomJson(r, depth + 1)]));
  }
}

type Path = (string | number)[];

function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

function mutate(r: Rand, spec: any): void {
  const all = paths(spec).filter((p) => p.length > 0);
  const p = pick(r, all);
  const parent = p.slice(0, -1).reduce((o: any, k) => o[k], spec);
  const key = p[p.length - 1]!;
  const old = parent[key];
  const op = r.int(0, 7);
  if (op === 0) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (op === 1 && old && typeof old === "object" && !Array.isArray(old)) {
    old[pick(r, ["Bogus", "Replica", "image", "Global", "Replicated"])] = randomJson(r, 2);
  } else if (op === 2 && Array.isArray(old)) {
    old.push(old.length ? structuredClone(old[0]) : randomJson(r, 2)); // duplicates: same mount target, same port
  } else if (key === "Replicas") {
    parent[key] = pick(r, REPLICAS);
  } else if (op === 3 && typeof old === "number") {
    parent[key] = pick(r, NUMBERS);
  } else if (op === 4 && typeof old === "string") {
    parent[key] = pick(r, STRINGS);
  } else if (op === 5) {
    parent[key] = typeof old === "string" ? Number(old) || [old] : typeof old === "number" ? String(old) : [old];
  } else {
    parent[key] = randomJson(r, 1);
  }
}

let b: ApiBench;
let sentinel: string;
let victim: string;

beforeAll(async () => {
  b = await ApiBench.start(1102);
  const s = await b.call("POST", "/services", { spec: { ...VALID(), Name: "sentinel", EndpointSpec: { Ports: [] } } });
  const v = await b.call("POST", "/services", { spec: { ...VALID(), EndpointSpec: { Ports: [] } } });
  expect([s.status, v.status]).toEqual([201, 201]);
  sentinel = s.body.ID;
  victim = v.body.ID;
  await waitUntil("the sentinel runs", () => b.cluster.runningContainers(sentinel).length === 1, 10_000);
}, 30_000);
afterAll(async () => {
  await b?.close();
});

test(`random and mutated specs (seed ${SEED}, ${RUNS} requests): the agent stays up and every other service stays readable`, async () => {
  const r = seededRand(SEED);
  const statuses = new Map<number, number>();
  for (let i = 0; i < RUNS; i++) {
    let spec: any;
    if (r.next() < 0.1) spec = randomJson(r);
    else {
      spec = VALID();
      for (let m = r.int(1, 4); m > 0; m--) mutate(r, spec);
    }
    const update = r.next() < 0.5;
    if (!update && spec && typeof spec === "object" && !Array.isArray(spec) && spec.Name === "victim") spec.Name = `n${i}`;
    const req = update ? ["POST", `/services/${victim}/update`, { spec }] as const : ["POST", "/services", { spec }] as const;
    const where = `seed ${SEED}, request ${i}: ${req[0]} ${req[1]} ${JSON.stringify(spec)?.slice(0, 400)}`;
    const res = await b.call(req[0], req[1], req[2]);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (![200, 201, 400, 409, 413].includes(res.status)) throw new Error(`${where}\n→ ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) expect(typeof res.body.message).toBe("string");

    const ls = await b.call("GET", "/services");
    if (ls.status !== 200) throw new Error(`${where}\n→ service ls answered ${ls.status} ${JSON.stringify(ls.body)}`);
    for (const ref of [sentinel, victim]) {
      const one = await b.call("GET", `/services/${ref}`);
      const ps = await b.call("GET", `/tasks?service=${ref}`);
      if (one.status !== 200 || ps.status !== 200) throw new Error(`${where}\n→ ${ref} unreadable: ${one.status} ${ps.status}`);
    }
    for (const v of ls.body as { Service: { ID: string; Spec: unknown }; Invalid?: string }[]) {
      if (v.Invalid) throw new Error(`${where}\n→ the API stored a spec that is not well formed: ${v.Invalid}`);
      parseServiceSpec(v.Service.Spec);
    }
    if (res.status === 201) {
      const rm = await b.call("POST", "/services/remove", { refs: [res.body.ID] });
      expect(rm.status).toBe(200);
    }
  }
  if (process.env.SWARM_PROPERTY_VERBOSE) console.log(Object.fromEntries(statuses));
  // Most requests are refused, some are accepted: the generator exercises both sides.
  expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 3);
  expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(0);
  expect(statuses.get(500) ?? 0).toBe(0);

  await waitUntil("the sentinel still runs", () => b.cluster.runningContainers(sentinel).length === 1, 10_000);
  const fresh = await b.call("POST", "/services", { spec: { ...VALID(), Name: "after", EndpointSpec: { Ports: [] } } });
  expect(fresh.status).toBe(201);
  await waitUntil("a new service converges after the storm", () => b.cluster.runningContainers(fresh.body.ID).length === 1, 10_000);
}, 240_000);
