/**
 * Bad input gets one clear line on stderr, a non-zero exit, and changes nothing. Every case runs the
 * compiled binary against a live one-node cluster that already has a service `web`, then checks that
 * the services and the containers are exactly as before.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skipUnlessDocker } from "../harness/index.ts";
import { runBinary, startOneNode, swarmBinary, type OneNode } from "./fixture.ts";

const skip = skipUnlessDocker("the CLI error table");

// [description, args, expected stderr]
const IMG = "swarm-busybox:latest";
const cases: [string, string[], RegExp][] = [
  ["unknown service (ps)", ["service", "ps", "nope"], /service nope not found/],
  ["unknown service (inspect)", ["service", "inspect", "nope"], /service nope not found/],
  ["unknown service (update)", ["service", "update", "--replicas", "2", "nope"], /service nope not found/],
  ["unknown service (logs)", ["service", "logs", "nope"], /service nope not found/],
  ["unknown service among several (rm removes none)", ["service", "rm", "web", "nope"], /service nope not found/],
  ["unknown service (scale)", ["service", "scale", "nope=3"], /service nope not found/],
  ["duplicate name", ["service", "create", "--detach", "--name", "web", IMG], /service "web" already exists/],
  ["invalid name", ["service", "create", "--detach", "--name", "bad name!", IMG], /invalid name "bad name!"/],
  ["missing name", ["service", "create", "--detach", IMG], /needs a name: add --name/],
  ["negative replicas", ["service", "create", "--detach", "--name", "x", "--replicas", "-1", IMG], /invalid replicas value "-1"/],
  ["non-integer replicas", ["service", "create", "--detach", "--name", "x", "--replicas", "1.5", IMG], /invalid replicas value "1\.5"/],
  ["replicas on update not a number", ["service", "update", "--replicas", "many", "web"], /invalid replicas value "many"/],
  ["bad image reference", ["service", "create", "--detach", "--name", "x", "UPPER/Case:tag"], /invalid reference format/],
  ["bad image reference on update", ["service", "update", "--image", "bad::ref", "web"], /invalid reference format/],
  ["port 0", ["service", "create", "--detach", "--name", "x", "-p", "0:80", IMG], /out of range/],
  ["port above 65535", ["service", "create", "--detach", "--name", "x", "-p", "70000:80", IMG], /out of range/],
  ["target port missing", ["service", "create", "--detach", "--name", "x", "-p", "8080:", IMG], /target port is missing/],
  ["bad protocol", ["service", "create", "--detach", "--name", "x", "-p", "8080:80/sctp", IMG], /protocol must be tcp or udp/],
  ["published port used by another service", ["service", "create", "--detach", "--name", "x", "-p", "18080:80", IMG], /already published by service "web"/],
  ["bad constraint operator", ["service", "create", "--detach", "--name", "x", "--constraint", "node.role=manager", IMG], /constraint/i],
  ["bad constraint key", ["service", "create", "--detach", "--name", "x", "--constraint", "node.colour==red", IMG], /constraint/i],
  ["bind mount without source", ["service", "create", "--detach", "--name", "x", "--mount", "type=bind,dst=/data", IMG], /bind mount needs src=/],
  ["mount of unknown type", ["service", "create", "--detach", "--name", "x", "--mount", "type=nfs,dst=/data", IMG], /type must be bind, volume or tmpfs/],
  ["mount with relative target", ["service", "create", "--detach", "--name", "x", "--mount", "type=volume,src=v,dst=data", IMG], /dst must be an absolute path/],
  ["unknown flag", ["service", "create", "--colour", "red", "--name", "x", IMG], /unknown flag: --colour/],
  ["unknown command", ["service", "explode"], /unknown command "swarm service explode"/],
  ["bad restart condition", ["service", "create", "--detach", "--name", "x", "--restart-condition", "sometimes", IMG], /invalid restart condition/],
  ["bad duration", ["service", "create", "--detach", "--name", "x", "--restart-delay", "soon", IMG], /invalid duration/],
  ["bad memory", ["service", "create", "--detach", "--name", "x", "--limit-memory", "lots", IMG], /expected a size/],
  ["replicas with global mode", ["service", "create", "--detach", "--name", "x", "--mode", "global", "--replicas", "2", IMG], /can only be used with replicated or replicated-job mode/],
  ["unknown network", ["service", "create", "--detach", "--name", "x", "--network", "overlay1", IMG], /network "overlay1" not found/],
  ["scale a bad specifier", ["service", "scale", "web"], /invalid scale specifier/],
  ["bad filter", ["service", "ls", "--filter", "colour=red"], /invalid filter 'colour'/],
  ["bad --tail", ["service", "logs", "--tail", "ten", "web"], /invalid --tail/],
  ["leave without --force", ["leave"], /Use `--force`/],
];

describe.skipIf(skip)("bad input changes nothing", () => {
  let n: OneNode;
  let baseline: { services: string; containers: string };
  const snapshot = async () => ({
    services: await n.ok(["service", "inspect", "web"]),
    containers: JSON.stringify((await n.containers(true)).map((c) => c.Names[0]).sort()),
  });
  beforeAll(async () => {
    n = await startOneNode("errors");
    await n.ok(["service", "create", "--name", "web", "--replicas", "2", "-p", "18080:80", n.image, "httpd", "-f", "-p", "80", "-h", "/www"]);
    baseline = await snapshot();
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  test(`the table has at least 25 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const [what, args, message] of cases) {
    test(what, async () => {
      const r = await n.run(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(await snapshot()).toEqual(baseline);
    });
  }
});

describe.skipIf(skip)("without an agent, or without Docker", () => {
  test("a command when no agent runs says so and how to start one", async () => {
    const bin = await swarmBinary();
    const r = await runBinary(bin, ["service", "ls"], { SWARM_HOST: "unix:///tmp/no-such-swarm.sock" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot connect to the swarm agent at unix:\/\/\/tmp\/no-such-swarm\.sock.*swarm init/);
  });

  test("init against an unreachable Docker fails clearly and leaves no agent running", async () => {
    const bin = await swarmBinary();
    const dir = mkdtempSync(join(tmpdir(), "swarm-nodocker-"));
    const env = { SWARM_HOST: `unix://${dir}/s.sock`, SWARM_DATA_DIR: `${dir}/state`, DOCKER_HOST: `unix://${dir}/no-docker.sock` };
    try {
      const r = await runBinary(bin, ["init"], env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/cannot reach Docker at unix:\/\/.*no-docker\.sock/);
      const after = await runBinary(bin, ["info"], env);
      expect(after.code).not.toBe(0);
      expect(after.stderr).toMatch(/cannot connect to the swarm agent/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
