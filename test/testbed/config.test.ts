// Pure parts of the test bed: config validation and the address/name plan. No root needed.

import { describe, expect, test } from "bun:test";
import { defaultConfig, plan, TestbedError, validateConfig } from "./index.ts";
import { macFor } from "./config.ts";
import { dockerdArgs, daemonJson, wrapArgv } from "./engine.ts";

const cfg = (over: Partial<ReturnType<typeof defaultConfig>> = {}) => ({ ...defaultConfig(), ...over });

describe("validateConfig", () => {
  const bad: Array<[string, Partial<ReturnType<typeof defaultConfig>>]> = [
    ["empty name", { name: "" }],
    ["name with slash", { name: "a/b" }],
    ["name too long", { name: "a".repeat(33) }],
    ["upper case", { name: "Dev" }],
    ["zero hosts", { hosts: 0 }],
    ["fractional hosts", { hosts: 1.5 }],
    ["too many hosts", { hosts: 33 }],
    ["subnet without prefix", { subnet: "10.0.0.0" }],
    ["prefix too long", { subnet: "10.0.0.0/25" }],
    ["octet > 255", { subnet: "10.0.300.0/24" }],
    ["relative state root", { stateRoot: "run/x" }],
    ["dockerd env with a bad name", { dockerdEnv: { "A=B": "1" } }],
    ["dockerd env with a non-string value", { dockerdEnv: { A: 1 as unknown as string } }],
  ];
  for (const [what, over] of bad) {
    test(`rejects ${what} with CONFIG_INVALID`, () => {
      let err: unknown;
      try {
        validateConfig(cfg(over));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TestbedError);
      expect((err as TestbedError).code).toBe("CONFIG_INVALID");
    });
  }
  test("accepts the defaults and 7 hosts", () => {
    expect(validateConfig(cfg({ hosts: 7 })).hosts).toBe(7);
  });
});

describe("plan", () => {
  test("addresses, names and paths follow the documented layout", () => {
    const p = plan(cfg({ name: "x", hosts: 3, subnet: "10.88.0.0/24", stateRoot: "/s" }));
    expect(p.gateway).toBe("10.88.0.1");
    expect(p.switchNetns).toBe("stb-x-sw");
    expect(p.client).toEqual({ name: "c", netns: "stb-x-c", ip: "10.88.0.250" });
    expect(p.hosts.map((h) => [h.index, h.name, h.ip, h.netns])).toEqual([
      [0, "h1", "10.88.0.11", "stb-x-h1"],
      [1, "h2", "10.88.0.12", "stb-x-h2"],
      [2, "h3", "10.88.0.13", "stb-x-h3"],
    ]);
    const h2 = p.hosts[1]!;
    expect(h2.socketPath).toBe("/s/x/h2/docker.sock");
    expect(h2.cgroup).toBe("swarm-testbed/x/h2");
    expect(new Set(p.hosts.map((h) => h.bip)).size).toBe(3);
    expect(new Set(p.hosts.map((h) => h.addressPool)).size).toBe(3);
  });

  test("a host address inside a /16 is computed from the network address", () => {
    const p = plan(cfg({ subnet: "172.30.9.77/16", hosts: 1 }));
    expect(p.hosts[0]!.ip).toBe("172.30.0.11");
    expect(p.prefix).toBe(16);
  });

  test("netns and interface names fit the kernel's 15-char interface limit where they are interfaces", () => {
    const p = plan(cfg({ name: "a".repeat(16), hosts: 32 }));
    for (const h of p.hosts) expect(h.name.length).toBeLessThanOrEqual(15);
    expect(p.hosts[31]!.ip).toBe("10.77.0.42");
  });

  test("MACs are locally administered, unique and stable per address", () => {
    expect(macFor("10.77.0.11")).toBe("02:00:0a:4d:00:0b");
    expect(macFor("10.77.0.11")).toBe(macFor("10.77.0.11"));
    expect(macFor("10.77.0.12")).not.toBe(macFor("10.77.0.11"));
  });

  test("dockerd gets its own roots, socket, pidfile, cgroup parent and engine key per host", () => {
    const h = plan(cfg({ name: "y", stateRoot: "/s" })).hosts[0]!;
    const args = dockerdArgs(h);
    for (const want of ["--data-root=/s/y/h1/data", "--exec-root=/s/y/h1/exec", "--host=unix:///s/y/h1/docker.sock",
      "--cgroup-parent=/swarm-testbed/y/h1/docker", `--bip=${h.bip}`, "--config-file=/s/y/h1/daemon.json"]) {
      expect(args).toContain(want);
    }
    expect(JSON.parse(daemonJson(h))).toEqual({ "deprecated-key-path": "/s/y/h1/data/key.json" });
  });

  test("every host's dockerd gets the bed's extra environment", () => {
    const hosts = plan(cfg({ hosts: 2, dockerdEnv: { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1" } })).hosts;
    for (const h of hosts) expect(h.dockerdEnv).toEqual({ DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1" });
    expect(plan(cfg()).hosts[0]!.dockerdEnv).toEqual({});
  });

  test("commands enter the host's netns and uts namespace from its cgroup (nsenter, not ip netns exec)", () => {
    const argv = wrapArgv("swarm-testbed/y/h1", "stb-y-h1", "/s/y/h1/uts", ["hostname"]);
    expect(argv.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(argv.slice(3)).toEqual(["/sys/fs/cgroup/freezer/swarm-testbed/y/h1", "/run/netns/stb-y-h1", "/s/y/h1/uts", "hostname"]);
    expect(argv[2]).toContain("nsenter");
    expect(argv[2]).not.toContain("ip netns exec");
  });
});
