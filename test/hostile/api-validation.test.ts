/**
 * Issue 11, defects 2 and 11 (API side): every case the issue found, sent to the agent's router on an
 * in-process one-node cluster. Each bad request is a 400 (413 for a huge body) whose message names the
 * field, nothing is stored, and every other service stays readable. Before this change each of these
 * was stored (201) or answered 500 with a JavaScript message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseServiceSpec } from "../../internal/spec/index.ts";
import { IMAGE } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { ApiBench } from "./api.ts";

const base = (over: Record<string, unknown> = {}, cs: Record<string, unknown> = {}, tt: Record<string, unknown> = {}) => ({
  Name: "t",
  Mode: { Replicated: { Replicas: 1 } },
  EndpointSpec: { Ports: [] },
  TaskTemplate: { ContainerSpec: { Image: IMAGE, ...cs }, ...tt },
  ...over,
});

// [what, spec, the field the message must name, what it must say]
const BAD_SPECS: [string, unknown, RegExp][] = [
  ["empty image (defect 1)", base({}, { Image: "" }), /TaskTemplate\.ContainerSpec\.Image: invalid reference format/],
  ["TaskTemplate {}", base({ TaskTemplate: {} }), /TaskTemplate\.ContainerSpec: is required/],
  ["Image 5", base({}, { Image: 5 }), /TaskTemplate\.ContainerSpec\.Image: must be a string, not the number 5/],
  ["PublishedPort 70000", base({ EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 70000 }] } }), /EndpointSpec\.Ports\[0\]\.PublishedPort: must be at most 65535/],
  ["Protocol sctp", base({ EndpointSpec: { Ports: [{ TargetPort: 80, Protocol: "sctp" }] } }), /EndpointSpec\.Ports\[0\]\.Protocol: must be tcp or udp/],
  ["TargetPort 0", base({ EndpointSpec: { Ports: [{ TargetPort: 0 }] } }), /EndpointSpec\.Ports\[0\]\.TargetPort: must be at least 1/],
  ["Env as a string", base({}, { Env: "A=1" }), /TaskTemplate\.ContainerSpec\.Env: must be a list, not the string "A=1"/],
  ["Args as a string", base({}, { Args: "sleep 10" }), /TaskTemplate\.ContainerSpec\.Args: must be a list/],
  ["Mode {}", base({ Mode: {} }), /Mode: set exactly one of/],
  ["both Global and Replicated", base({ Mode: { Global: {}, Replicated: { Replicas: 1 } } }), /Mode: set exactly one of/],
  ["relative bind source", base({}, { Mounts: [{ Type: "bind", Source: "data", Target: "/data" }] }), /Mounts\[0\]\.Source: a bind mount's Source must be a clean absolute host path/],
  ["duplicate mount target", base({}, { Mounts: [{ Type: "tmpfs", Target: "/a" }, { Type: "volume", Target: "/a" }] }), /Mounts\[1\]\.Target: two mounts have the target \/a/],
  ["mount target /", base({}, { Mounts: [{ Type: "tmpfs", Target: "/" }] }), /Mounts\[0\]\.Target: must not be \//],
  ["memory limit of 1 byte", base({}, {}, { Resources: { Limits: { MemoryBytes: 1 } } }), /Limits\.MemoryBytes: must be 0 \(no limit\) or at least 6291456/],
  ["CPU limit of 1 nano-CPU (silently no limit before)", base({}, {}, { Resources: { Limits: { NanoCPUs: 1 } } }), /Limits\.NanoCPUs: must be 0 \(no limit\) or at least 10000000/],
  ["CPU limit larger than every node", base({}, {}, { Resources: { Limits: { NanoCPUs: 1000e9 } } }), /invalid CPU limit 1000: the largest node has 2 CPUs/],
  ["replicas -1", base({ Mode: { Replicated: { Replicas: -1 } } }), /Mode\.Replicated\.Replicas: must be at least 0/],
  ["replicas 1.5", base({ Mode: { Replicated: { Replicas: 1.5 } } }), /Mode\.Replicated\.Replicas: must be an integer/],
  ["unknown field", base({ Replica: 3 }), /unknown field "Replica"/],
  ["NUL in an argument", base({}, { Args: ["a\u0000b"] }), /Args\[0\]: must not contain a NUL character/],
  ["labels not strings", base({ Labels: { a: 1 } }), /Labels\.a: must be a string/],
  ["bad constraint", base({}, {}, { Placement: { Constraints: ["node.colour==red"] } }), /Constraints\[0\]: invalid constraint/],
  ["a network other than host", base({}, {}, { Networks: [{ Target: "overlay" }] }), /Networks\[0\]\.Target: only the "host" network/],
  ["spec is a list", [1, 2], /invalid service spec: expected an object/],
  ["spec is missing", undefined, /spec: is required/],
];

let b: ApiBench;
let sentinel: string;

beforeAll(async () => {
  b = await ApiBench.start(1101);
  const r = await b.call("POST", "/services", { spec: base({ Name: "sentinel" }, { Args: ["sleep", "1000"] }) });
  expect(r.status).toBe(201);
  sentinel = r.body.ID;
}, 30_000);
afterAll(async () => {
  await b?.close();
});

async function servicesReadable(): Promise<string[]> {
  const ls = await b.call("GET", "/services");
  expect(ls.status).toBe(200);
  const one = await b.call("GET", `/services/${sentinel}`);
  expect(one.status).toBe(200);
  const ps = await b.call("GET", `/tasks?service=${sentinel}`);
  expect(ps.status).toBe(200);
  return (ls.body as { Service: { Spec: { Name: string } } }[]).map((v) => v.Service.Spec.Name).sort();
}

describe("bad specs at the API: 400 naming the field, nothing stored", () => {
  for (const [what, spec, message] of BAD_SPECS) {
    test(`create: ${what}`, async () => {
      const r = await b.call("POST", "/services", spec === undefined ? {} : { spec });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("INVALID_ARGUMENT");
      expect(r.body.message).toMatch(message);
      expect(await servicesReadable()).toEqual(["sentinel"]);
    });
  }

  for (const [what, spec, message] of BAD_SPECS.slice(0, 12)) {
    test(`update: ${what}`, async () => {
      const before = (await b.call("GET", `/services/${sentinel}`)).body.Service.Version.Index;
      const r = await b.call("POST", `/services/${sentinel}/update`, { spec: spec && typeof spec === "object" && !Array.isArray(spec) ? { ...spec, Name: "sentinel" } : spec });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(message);
      expect((await b.call("GET", `/services/${sentinel}`)).body.Service.Version.Index).toBe(before);
    });
  }

  test("a minimal spec (Docker's defaults) is completed and stored normalized", async () => {
    const r = await b.call("POST", "/services", { spec: { Name: "minimal", TaskTemplate: { ContainerSpec: { Image: "swarm-busybox", Args: ["sleep", "1000"] } } } });
    expect(r.status).toBe(201);
    const v = (await b.call("GET", "/services/minimal")).body.Service;
    expect(v.Spec.TaskTemplate.ContainerSpec.Image).toBe(IMAGE);
    expect(v.Spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(v.Spec.TaskTemplate.RestartPolicy).toEqual({ Condition: "any", Delay: 5e9, MaxAttempts: 0 });
    expect(parseServiceSpec(v.Spec)).toEqual(v.Spec);
    expect((await b.call("POST", "/services/remove", { refs: ["minimal"] })).status).toBe(200);
  });
});

describe("request bodies and parameters of the wrong type: 400, not 500", () => {
  const cases: [string, string, string, unknown, RegExp, string?][] = [
    ["refs not a list", "POST", "/services/remove", { refs: "sentinel" }, /refs: must be an array|refs: must be a list/],
    ["refs missing", "POST", "/services/remove", {}, /refs: is required/],
    ["a ref that is a number", "POST", "/nodes/promote", { refs: [5] }, /refs\[0\]: must be a string/],
    ["version as a string", "POST", "/services/sentinel/update", { spec: base({ Name: "sentinel" }), version: "3" }, /version: must be a number|version: must be an integer/],
    ["node availability unknown", "POST", "/nodes/self/update", { availability: "gone" }, /availability: must be active, pause or drain/],
    ["node labels not strings", "POST", "/nodes/self/update", { labelAdd: { a: 1 } }, /labelAdd\.a: must be a string/],
    ["join token a number", "POST", "/join", { token: 5, remote: "x" }, /token: must be a string/],
    ["leave force a string", "POST", "/leave", { force: "yes" }, /force: must be a boolean/],
    ["not JSON", "POST", "/services", undefined, /not valid JSON/, "{spec:"],
    ["tail=abc", "GET", "/logs?service=sentinel&tail=abc", undefined, /invalid tail "abc"/],
    ["tail=-5", "GET", "/logs?service=sentinel&tail=-5", undefined, /invalid tail "-5"/],
    ["since=soon", "GET", "/logs?service=sentinel&since=soon", undefined, /invalid --since value "soon"/],
  ];
  for (const [what, method, path, body, message, raw] of cases) {
    test(what, async () => {
      const r = await b.call(method, path, body, raw);
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(message);
      expect(await servicesReadable()).toEqual(["sentinel"]);
    });
  }

  test("a body over 1 MiB is refused with 413 before it is parsed", async () => {
    const big = { spec: base({ Name: "big" }, { Env: Array.from({ length: 2000 }, (_, i) => `K${i}=${"x".repeat(600)}`) }) };
    const r = await b.call("POST", "/services", big);
    expect(r.status).toBe(413);
    expect(r.body.code).toBe("TOO_LARGE");
    expect(await servicesReadable()).toEqual(["sentinel"]);
  });
});

test("the sentinel service still runs after all of it", async () => {
  await waitUntil("sentinel running", () => b.cluster.runningContainers(sentinel).length === 1, 10_000);
});
