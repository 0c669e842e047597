/** Flags → ServiceSpec, as `service create` and `service update` build it before calling the agent. */
import { describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { parseFlags } from "../../internal/cli/index.ts";
import { buildCreateSpec, buildUpdateSpec, CREATE_FLAGS, parseDuration, parseMount, parsePublish, UPDATE_FLAGS } from "../../internal/spec/index.ts";

const create = (...argv: string[]) => buildCreateSpec(parseFlags(argv, CREATE_FLAGS, { interspersed: false }));

describe("service create flags", () => {
  test("a minimal service: one replica, restart any after 5 s, image tagged latest", () => {
    const s = create("--name", "pingpong", "alpine", "ping", "8.8.8.8");
    expect(s.Name).toBe("pingpong");
    expect(s.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(s.TaskTemplate.ContainerSpec.Image).toBe("alpine:latest");
    expect(s.TaskTemplate.ContainerSpec.Args).toEqual(["ping", "8.8.8.8"]);
    expect(s.TaskTemplate.RestartPolicy).toEqual({ Condition: "any", Delay: 5e9, MaxAttempts: 0 });
  });

  test("flags after the image belong to the container's command", () => {
    const s = create("--name", "x", "busybox", "ls", "-l", "--name", "y");
    expect(s.Name).toBe("x");
    expect(s.TaskTemplate.ContainerSpec.Args).toEqual(["ls", "-l", "--name", "y"]);
  });

  test("every supported flag lands in the spec", () => {
    const s = create(
      "--name", "web", "--replicas", "3", "-e", "A=1", "--env", "B=2", "-l", "tier=front", "--container-label", "c=d",
      "--constraint", "node.role==manager", "--mount", "type=volume,src=data,dst=/data,readonly", "--network", "host",
      "-p", "8080:80", "-p", "53/udp", "--restart-condition", "on-failure", "--restart-delay", "1m30s",
      "--restart-max-attempts", "4", "--stop-grace-period", "3s", "--entrypoint", "/bin/sh -c", "-w", "/srv", "-u", "nobody",
      "--hostname", "h", "--limit-cpu", "0.5", "--limit-memory", "64m", "--reserve-cpu", "0.25", "--reserve-memory", "32m",
      "nginx:1.25", "echo", "hi",
    );
    const c = s.TaskTemplate.ContainerSpec;
    expect(s.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(c.Env).toEqual(["A=1", "B=2"]);
    expect(s.Labels).toEqual({ tier: "front" });
    expect(c.Labels).toEqual({ c: "d" });
    expect(s.TaskTemplate.Placement?.Constraints).toEqual(["node.role==manager"]);
    expect(c.Mounts).toEqual([{ Type: "volume", Source: "data", Target: "/data", ReadOnly: true }]);
    expect(s.TaskTemplate.Networks).toEqual([{ Target: "host" }]);
    expect(s.EndpointSpec.Ports).toEqual([
      { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" },
      { Protocol: "udp", TargetPort: 53, PublishedPort: 0, PublishMode: "ingress" },
    ]);
    expect(s.TaskTemplate.RestartPolicy).toEqual({ Condition: "on-failure", Delay: 90e9, MaxAttempts: 4 });
    expect(c.StopGracePeriod).toBe(3e9);
    expect(c.Command).toEqual(["/bin/sh", "-c"]);
    expect([c.Dir, c.User, c.Hostname]).toEqual(["/srv", "nobody", "h"]);
    expect(s.TaskTemplate.Resources).toEqual({ Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 2 ** 20 }, Reservations: { NanoCPUs: 2.5e8, MemoryBytes: 32 * 2 ** 20 } });
  });

  test("global mode", () => {
    expect(create("--name", "g", "--mode", "global", "busybox").Mode).toEqual({ Global: {} });
  });
});

describe("service update flags", () => {
  const base = create("--name", "web", "-e", "A=1", "-e", "B=2", "-l", "x=1", "-p", "8080:80", "--constraint", "node.role==manager", "nginx");
  const update = (...argv: string[]) => buildUpdateSpec(base, parseFlags(argv, UPDATE_FLAGS));

  test("--env-add replaces a key and --env-rm removes one; the old spec is untouched", () => {
    const s = update("--env-add", "A=9", "--env-rm", "B");
    expect(s.TaskTemplate.ContainerSpec.Env).toEqual(["A=9"]);
    expect(base.TaskTemplate.ContainerSpec.Env).toEqual(["A=1", "B=2"]);
  });

  test("labels, constraints and ports add and remove", () => {
    const s = update("--label-add", "y=2", "--label-rm", "x", "--constraint-rm", "node.role==manager", "--constraint-add", "node.labels.zone==a", "--publish-rm", "80", "--publish-add", "9090:90");
    expect(s.Labels).toEqual({ y: "2" });
    expect(s.TaskTemplate.Placement?.Constraints).toEqual(["node.labels.zone==a"]);
    expect(s.EndpointSpec.Ports).toEqual([{ Protocol: "tcp", TargetPort: 90, PublishedPort: 9090, PublishMode: "ingress" }]);
  });

  test("--image, --replicas and --force", () => {
    const s = update("--image", "nginx:1.26", "--replicas", "4", "--force");
    expect(s.TaskTemplate.ContainerSpec.Image).toBe("nginx:1.26");
    expect(s.Mode).toEqual({ Replicated: { Replicas: 4 } });
    expect(s.TaskTemplate.ForceUpdate).toBe(1);
  });
});

describe("value parsers reject bad input with the flag's name", () => {
  const bad: [string, () => unknown, RegExp][] = [
    ["duration without unit", () => parseDuration("--restart-delay", "10"), /invalid duration/],
    ["published port 0", () => parsePublish("0:80"), /out of range/],
    ["target port 65536", () => parsePublish("8080:65536"), /out of range/],
    ["long syntax without target", () => parsePublish("published=80"), /target= is required/],
    ["mount without dst", () => parseMount("type=volume,src=x"), /dst=/],
    ["tmpfs with a source", () => parseMount("type=tmpfs,src=x,dst=/t"), /takes no src/],
    ["relative bind source", () => parseMount("type=bind,src=rel,dst=/t"), /absolute host path/],
  ];
  for (const [what, f, msg] of bad) {
    test(what, () => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isSwarmError(err) && err.code === "INVALID_ARGUMENT").toBe(true);
      expect((err as Error).message).toMatch(msg);
    });
  }

  test("good values", () => {
    expect(parseDuration("x", "1h2m3s")).toBe((3600 + 120 + 3) * 1e9);
    expect(parseDuration("x", "500ms")).toBe(5e8);
    expect(parsePublish("published=8080,target=80,protocol=udp,mode=host")).toEqual({ Protocol: "udp", TargetPort: 80, PublishedPort: 8080, PublishMode: "host" });
    expect(parseMount("type=tmpfs,dst=/run")).toEqual({ Type: "tmpfs", Target: "/run" });
  });
});
