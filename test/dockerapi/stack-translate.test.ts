/**
 * `docker stack deploy` through the Docker-compatible API gives the services `swarm stack deploy`
 * gives: the bodies Docker's CLI sends for a compose file (captured, stack-fixture.ts), translated,
 * equal the specs internal/stack loads from the same file. And the pieces: a stack's network
 * attachments and volume labels dropped with notes, the fields swarm's stack deploy ignores dropped
 * for a stack's service only, and the stack networks' registry.
 */
import { describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import type { ClusterState, Service, Task } from "../../internal/api/index.ts";
import { createDockerApiHandler, dockerNetwork, fromDockerServiceSpec, STACK_NAMESPACE_LABEL, StackNetworks, type DockerBackend } from "../../internal/dockerapi/index.ts";
import { filtersFromQuery } from "../../internal/lookup/index.ts";
import { parseServiceSpec } from "../../internal/spec/index.ts";
import { loadStack, STACK_LABEL } from "../../internal/stack/index.ts";
import { SHOP, SHOP_BODIES_28 } from "./stack-fixture.ts";

const fromDocker = (body: unknown) => {
  const notes: string[] = [];
  return { spec: parseServiceSpec(fromDockerServiceSpec(structuredClone(body), notes)), notes };
};

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isSwarmError(e)) return e.message;
    throw e;
  }
  throw new Error("expected an error");
}

test("the Docker API and swarm's stack deploy know a stack by the same label", () => {
  expect(STACK_NAMESPACE_LABEL).toBe(STACK_LABEL.namespace);
});

describe("docker stack deploy's bodies → the specs of swarm stack deploy", () => {
  const loaded = loadStack("shop", { files: [{ path: "compose.yml", text: SHOP("swarm-busybox") }], env: {}, projectDir: "/srv/shop", readFile: () => undefined });
  const swarmSpec = (name: string) => parseServiceSpec(loaded.services.find((s) => s.name === name)!.spec);

  for (const name of ["web", "api", "kv"] as const) {
    test(`${name}: the same spec`, () => {
      expect(fromDocker(SHOP_BODIES_28[name]).spec).toEqual(swarmSpec(name));
      // 20.10 sends no NoNewPrivileges: the same spec again.
      const body20 = structuredClone(SHOP_BODIES_28[name]) as any;
      delete body20.TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges;
      expect(fromDocker(body20).spec).toEqual(swarmSpec(name));
    });
  }

  test("what was dropped is said, once per service; the default network is not named", () => {
    // The health check and update_config are translated by both deploys: nothing to say.
    expect(fromDocker(SHOP_BODIES_28.web).notes).toEqual([]);
    expect(fromDocker(SHOP_BODIES_28.api).notes).toEqual([
      "service shop_api: not attached to network shop_back: swarm has no overlay networks; the stack's services reach each other through their published ports",
    ]);
    expect(fromDocker(SHOP_BODIES_28.kv).notes).toEqual([
      "service shop_kv: not attached to network shop_back: swarm has no overlay networks; the stack's services reach each other through their published ports",
    ]);
    // swarm's own loader maps the same keys, without a warning.
    expect(loaded.warnings.join("\n")).not.toContain("healthcheck");
    expect(swarmSpec("web").UpdateConfig).toEqual({ Parallelism: 2, Delay: 10e9, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
  });

  test("the host network (an external network named host) is kept, without aliases", () => {
    const body = structuredClone(SHOP_BODIES_28.kv);
    body.TaskTemplate.Networks = [{ Target: "host", Aliases: ["kv"] }];
    const r = fromDocker(body);
    expect(r.spec.TaskTemplate.Networks).toEqual([{ Target: "host" }]);
    expect(r.notes).toEqual([]);
  });

  test("a volume's own labels are named when dropped", () => {
    const body = structuredClone(SHOP_BODIES_28.kv) as any;
    body.TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions.Labels.backup = "daily";
    expect(fromDocker(body).notes).toContain(
      "service shop_kv: ignoring the labels of volume mount TaskTemplate.ContainerSpec.Mounts[0] (backup): volumes are the engine's local volumes, created unlabelled",
    );
  });

  test("update settings that are Docker's defaults mean none, quietly", () => {
    const body = structuredClone(SHOP_BODIES_28.web) as any;
    body.UpdateConfig = { Parallelism: 1, MaxFailureRatio: 0, Order: "stop-first" };
    delete body.TaskTemplate.ContainerSpec.Healthcheck;
    const r = fromDocker(body);
    expect(r.notes).toEqual([]);
    expect(r.spec.UpdateConfig).toBeUndefined();
  });
});

describe("a service that is not a stack's keeps the strict translation", () => {
  const plain = (mutate: (b: any) => void) => {
    const b = structuredClone(SHOP_BODIES_28.kv) as any;
    delete b.Labels["com.docker.stack.namespace"];
    b.TaskTemplate.Networks = undefined;
    b.TaskTemplate.ContainerSpec.Mounts = [{ Type: "volume", Source: "data", Target: "/data" }];
    mutate(b);
    return () => fromDocker(b);
  };

  test("network attachments other than host are refused by the schema (--network)", () => {
    expect(errorOf(plain((b) => (b.TaskTemplate.Networks = [{ Target: "back" }])))).toContain("Networks");
  });
  test("volume labels are refused (--mount volume-label)", () => {
    expect(errorOf(plain((b) => (b.TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions = { Labels: { a: "b" } })))).toContain(
      "TaskTemplate.ContainerSpec.Mounts[0].VolumeOptions.Labels",
    );
  });
  test("a health check and update settings are translated, as for a stack's service", () => {
    expect(plain((b) => (b.TaskTemplate.ContainerSpec.Healthcheck = { Test: ["CMD", "true"] }))().spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["CMD", "true"] });
    expect(plain((b) => (b.UpdateConfig = { Parallelism: 2, MaxFailureRatio: 0, Order: "" }))().spec.UpdateConfig?.Parallelism).toBe(2);
  });
  test("jobs are translated (both stack deploys take them)", () => {
    const b = structuredClone(SHOP_BODIES_28.kv) as any;
    b.Mode = { ReplicatedJob: { MaxConcurrent: 1 } };
    expect(fromDocker(b).spec.Mode).toEqual({ ReplicatedJob: { TotalCompletions: 1, MaxConcurrent: 1 } });
  });
});

describe("the stack networks' registry", () => {
  let n = 0;
  const mk = () => new StackNetworks({ newId: () => String(++n).padStart(64, "a"), now: () => "2026-01-01T00:00:00.000Z" });
  const body = (name: string, stack = "shop") => ({ Name: name, Driver: "overlay", Labels: { "com.docker.stack.namespace": stack }, CheckDuplicate: true });

  test("create, list by the stack's label, inspect by name, ID or prefix, remove", () => {
    const r = mk();
    const def = r.create(body("shop_default"));
    r.create(body("shop_back"));
    r.create(body("blog_default", "blog"));
    const shop = r.list(filtersFromQuery(JSON.stringify({ label: { "com.docker.stack.namespace=shop": true } })));
    expect(shop.map((x) => x.Name)).toEqual(["shop_back", "shop_default"]);
    expect(r.find("shop_default")).toBe(def);
    expect(r.find(def.Id)).toBe(def);
    expect(dockerNetwork(def)).toMatchObject({ Name: "shop_default", Id: def.Id, Scope: "swarm", Driver: "overlay", Labels: { "com.docker.stack.namespace": "shop" }, Containers: {} });
    expect(r.remove(def.Id).Name).toBe("shop_default");
    expect(errorOf(() => r.find("shop_default"))).toBe("network shop_default not found");
    expect(r.list(new Map()).map((x) => x.Name)).toEqual(["blog_default", "shop_back"]);
  });

  test("a network without a stack's label, another driver or a taken name is refused", () => {
    const r = mk();
    expect(errorOf(() => r.create({ Name: "mynet", Driver: "overlay" }))).toContain("swarm has no networks");
    expect(errorOf(() => r.create({ ...body("shop_x"), Driver: "bridge" }))).toContain('driver "bridge" is not supported');
    r.create(body("shop_default"));
    expect(errorOf(() => r.create(body("shop_default")))).toBe("network with name shop_default already exists");
    expect(errorOf(() => r.list(filtersFromQuery(JSON.stringify({ nosuch: { x: true } }))))).toContain("invalid filter 'nosuch'");
  });

  test("the registry is bounded", () => {
    const r = new StackNetworks({ max: 2 });
    r.create(body("a_1"));
    r.create(body("a_2"));
    expect(errorOf(() => r.create(body("a_3")))).toContain("too many networks (2)");
  });
});

describe("swarm stack deploy of Docker's host-networking idiom", () => {
  const load = (networks: string) =>
    loadStack("hn", {
      files: [{ path: "c.yml", text: `services:\n  edge:\n    image: swarm-busybox\n    networks: ${networks}\nnetworks:\n  outside:\n    external: true\n    name: host\n  back:\n` }],
      env: {}, projectDir: "/srv", readFile: () => undefined,
    });

  test("a service on the external network named host runs on the host's network; other networks are still ignored, by name", () => {
    const only = load("[outside]");
    expect(parseServiceSpec(only.services[0]!.spec).TaskTemplate.Networks).toEqual([{ Target: "host" }]);
    expect(only.warnings).toEqual(["Ignoring unsupported top-level networks (back): this cluster has no overlay networks; services reach each other through their published ports"]);
    const both = load("{outside: {}, back: {aliases: [e]}}");
    expect(parseServiceSpec(both.services[0]!.spec).TaskTemplate.Networks).toEqual([{ Target: "host" }]);
    expect(both.warnings).toContain('Ignoring unsupported options for service "edge": networks');
    const none = load("[back]");
    expect(parseServiceSpec(none.services[0]!.spec).TaskTemplate.Networks ?? []).toEqual([]);
  });
});

describe("the task label filter (docker stack ps, docker stack rm --detach=false)", () => {
  const at = "2026-01-01T00:00:00.000Z";
  const spec = parseServiceSpec(fromDockerServiceSpec(structuredClone(SHOP_BODIES_28.kv)));
  const svc: Service = { ID: "s1", Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, Spec: spec, Endpoint: { Spec: { Ports: [] }, Ports: [] } };
  const task = (id: string, serviceId: string, state: Task["Status"]["State"], desired: Task["DesiredState"]): Task => ({
    ID: id, Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, ServiceID: serviceId, Slot: 1, Spec: spec.TaskTemplate, ServiceVersion: 1,
    Status: { Timestamp: at, State: state, Message: state }, DesiredState: desired, Attempt: 0,
  });
  // t2 belongs to a service already removed (`docker stack rm`), still stopping.
  const state: ClusterState = { index: 1, nodes: {}, services: { s1: svc }, tasks: { t1: task("t1", "s1", "running", "running"), t2: task("t2", "gone", "running", "remove") } };
  const backend = { read: async () => state, nodeId: "n" } as unknown as DockerBackend;
  const handler = createDockerApiHandler(backend);
  const ids = async (label: string) => {
    const res = await handler(new Request(`http://docker/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ label: { [label]: true } }))}`));
    expect(res.status).toBe(200);
    return ((await res.json()) as { ID: string }[]).map((t) => t.ID).sort();
  };

  test("a task matches by its service's labels; a task outliving its service by its container's", async () => {
    expect(await ids("com.docker.stack.namespace=shop")).toEqual(["t1", "t2"]);
    expect(await ids("app")).toEqual([]); // kv has no deploy label app
    expect(await ids("com.docker.stack.image=swarm-busybox")).toEqual(["t1"]); // a service label, not a container's
    expect(await ids("com.docker.stack.namespace=blog")).toEqual([]);
  });
});
