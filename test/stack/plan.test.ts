/** A redeploy's plan: only changed services are updated; --prune removes; conflicts stop it early. */
import { describe, expect, test } from "bun:test";
import { isSwarmError, type Service, type ServiceSpec } from "../../internal/api/index.ts";
import { listStacks, planDeploy } from "../../internal/stack/index.ts";
import { load, spec, yaml } from "./helpers.ts";

const compose = yaml`
  services:
    web:
      image: busybox
      ports: ["8080:80"]
    api:
      image: busybox
      command: [sleep, "1000"]
    kv:
      image: busybox
`;

let nextId = 1;
function service(s: ServiceSpec, version = 7): Service {
  const id = `id${nextId++}`.padEnd(25, "0");
  return { ID: id, Version: { Index: version }, CreatedAt: "", UpdatedAt: "", Spec: structuredClone(s), Endpoint: { Spec: { Ports: s.EndpointSpec.Ports }, Ports: s.EndpointSpec.Ports } };
}

const desired = (text = compose) => load(text, {}, "shop").services.map((s) => s.spec);

describe("planDeploy", () => {
  test("a first deploy creates every service, sorted", () => {
    const p = planDeploy("shop", desired(), [], false);
    expect(p.create.map((s) => s.Name)).toEqual(["shop_api", "shop_kv", "shop_web"]);
    expect(p.update).toEqual([]);
    expect(p.unchanged).toEqual([]);
  });

  test("a redeploy of the same files changes nothing (the stored spec went through JSON)", () => {
    const current = desired().map((s) => service(JSON.parse(JSON.stringify(s))));
    const p = planDeploy("shop", desired(), current, true);
    expect(p.create).toEqual([]);
    expect(p.update).toEqual([]);
    expect(p.remove).toEqual([]);
    expect(p.unchanged.map((s) => s.Spec.Name)).toEqual(["shop_api", "shop_kv", "shop_web"]);
  });

  test("one changed service is the only update; its ForceUpdate counter is kept", () => {
    const current = desired().map((s) => service(s));
    const api = current.find((s) => s.Spec.Name === "shop_api")!;
    api.Spec.TaskTemplate.ForceUpdate = 3; // someone ran `service update --force`
    const changed = desired(compose.replace('[sleep, "1000"]', '[sleep, "2000"]'));
    const p = planDeploy("shop", changed, current, false);
    expect(p.update.map((u) => [u.id, u.version, u.spec.Name])).toEqual([[api.ID, 7, "shop_api"]]);
    expect(p.update[0]!.spec.TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "2000"]);
    expect(p.update[0]!.spec.TaskTemplate.ForceUpdate).toBe(3);
    expect(p.unchanged.map((s) => s.Spec.Name)).toEqual(["shop_kv", "shop_web"]);
  });

  test("a port the cluster allocated (ports: [\"80\"]) is kept: a redeploy is no change", () => {
    const text = compose.replace('["8080:80"]', '["80", "53/udp"]');
    const current = desired(text).map((s) => {
      const stored = structuredClone(s);
      stored.EndpointSpec.Ports = stored.EndpointSpec.Ports.map((p, i) => ({ ...p, PublishedPort: 30000 + i })); // as the store allocates
      return service(stored);
    });
    const p = planDeploy("shop", desired(text), current, false);
    expect(p.update).toEqual([]);
    expect(p.unchanged.length).toBe(3);
    // A new target port is a change, and the existing one keeps its allocation.
    const more = planDeploy("shop", desired(text.replace('["80", "53/udp"]', '["80", "53/udp", "443"]')), current, false);
    expect(more.update.map((u) => u.spec.EndpointSpec.Ports.map((x) => `${x.PublishedPort}:${x.TargetPort}/${x.Protocol}`))).toEqual([["30000:80/tcp", "30001:53/udp", "0:443/tcp"]]);
  });

  test("a service dropped from the files is removed with prune, and left (reported) without", () => {
    const current = desired().map((s) => service(s));
    const fewer = desired(compose.replace(/ {2}kv:\n {4}image: busybox\n/, ""));
    expect(fewer.map((s) => s.Name)).toEqual(["shop_api", "shop_web"]);
    expect(planDeploy("shop", fewer, current, true).remove.map((s) => s.Spec.Name)).toEqual(["shop_kv"]);
    const kept = planDeploy("shop", fewer, current, false);
    expect(kept.remove).toEqual([]);
    expect(kept.orphaned.map((s) => s.Spec.Name)).toEqual(["shop_kv"]);
  });

  test("other stacks and plain services are never touched", () => {
    const other = load(compose, {}, "blog").services.map((s) => service(s.spec));
    const plain = service({ ...spec(load("services: {x: {image: busybox}}"), "x"), Name: "plain", Labels: {} });
    const p = planDeploy("shop", [], [...other.map((s) => ({ ...s, Endpoint: { Spec: { Ports: [] }, Ports: [] } })), plain], true);
    expect(p).toEqual({ create: [], update: [], unchanged: [], remove: [], orphaned: [] });
  });

  test("a name or published port held outside the stack is a conflict before anything changes", () => {
    const squatter = service({ ...spec(load('services: {x: {image: busybox, ports: ["8080:80"]}}'), "x"), Name: "shop_kv", Labels: {} });
    try {
      planDeploy("shop", desired(), [squatter], false);
      throw new Error("expected a conflict");
    } catch (e) {
      expect(isSwarmError(e) && e.code).toBe("CONFLICT");
      expect((e as Error).message).toBe([
        "cannot deploy stack shop; nothing was changed:",
        `service name shop_kv is taken by a service that is not part of stack shop (ID ${squatter.ID.slice(0, 12)}): remove or rename it`,
        "shop_web: published port 8080/tcp is already used by service shop_kv",
      ].join("\n  "));
    }
  });

  test("listStacks counts services per namespace label", () => {
    const all = [...load(compose, {}, "shop").services, ...load("services: {a: {image: busybox}}", {}, "blog").services].map((s) => service(s.spec));
    all.push(service({ ...all[0]!.Spec, Name: "plain", Labels: {} }));
    expect(listStacks(all)).toEqual([{ name: "blog", services: 1 }, { name: "shop", services: 3 }]);
  });
});
