/**
 * Issue 11 on the compiled binary and a private dockerd, as the issue reproduced each defect: one
 * one-node cluster for the file (test/cli/fixture.ts), each test leaving it as it found it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";

const skip = skipUnlessDocker("issue 11 on the compiled binary");
let n: OneNode;

beforeAll(async () => {
  if (skip) return;
  n = await startOneNode("hostile-bin");
}, 120_000);
afterAll(async () => {
  await n?.close();
}, 120_000);

/** `curl --unix-socket` to the agent. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://agent${path}`, { method, unix: n.socket, body: body === undefined ? undefined : JSON.stringify(body) } as RequestInit);
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

describe.skipIf(skip)("defect 1: an empty image over the API", () => {
  test("is refused with 400 naming the field; the agent stays up and `service ls` works", async () => {
    const r = await api("POST", "/services", {
      spec: { Name: "t", Mode: { Replicated: { Replicas: 1 } }, EndpointSpec: { Ports: [] }, TaskTemplate: { ContainerSpec: { Image: "" } } },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/TaskTemplate\.ContainerSpec\.Image: invalid reference format/);
    // The agent died about a second later before: it must still answer well after that.
    await Bun.sleep(1500);
    expect((await api("GET", "/_ping")).status).toBe(200);
    expect(await n.ok(["service", "ls", "-q"])).toBe("");
  }, 30_000);
});

describe.skipIf(skip)("defect 3: concurrent `service update`s", () => {
  test("three concurrent updates of one service all land (3 rounds)", async () => {
    await n.ok(["service", "create", "--detach", "--name", "race", n.image, "sleep", "100000"]);
    try {
      for (let round = 1; round <= 3; round++) {
        const results = await Promise.all([
          n.run(["service", "update", "--detach", "--env-add", `A=${round}`, "race"]),
          n.run(["service", "update", "--detach", "--label-add", `B=${round}`, "race"]),
          n.run(["service", "update", "--detach", "--container-label-add", `C=${round}`, "race"]),
        ]);
        for (const r of results) expect(r.stderr).toBe("");
        expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
        const [svc] = JSON.parse(await n.ok(["service", "inspect", "race"]));
        expect(svc.Spec.TaskTemplate.ContainerSpec.Env).toContain(`A=${round}`);
        expect(svc.Spec.Labels.B).toBe(String(round));
        expect(svc.Spec.TaskTemplate.ContainerSpec.Labels.C).toBe(String(round));
      }
    } finally {
      await n.run(["service", "rm", "race"]);
    }
  }, 120_000);
});

describe.skipIf(skip)("defect 8: waiting says what is wrong", () => {
  test("`update --detach=false` to an image that cannot be pulled shows the slot's error, not only `0 out of 1`", async () => {
    await n.ok(["service", "create", "--detach", "--name", "nopull", n.image, "sleep", "100000"]);
    try {
      const env = { ...process.env, SWARM_HOST: `unix://${n.socket}` };
      const p = Bun.spawn([n.bin, "service", "update", "--detach=false", "--image", "127.0.0.1:1/nope", "nopull"], { stdio: ["ignore", "pipe", "pipe"], env });
      let out = "";
      const reader = p.stdout.getReader();
      const dec = new TextDecoder();
      await waitUntil("the slot's error in the progress", async () => {
        const { value, done } = await reader.read();
        if (value) out += dec.decode(value);
        return done || /1\/1: .*nope/.test(out);
      }, 30_000, 0);
      p.kill("SIGINT");
      await p.exited;
      expect(out).toContain("overall progress: 0 out of 1 tasks");
      expect(out).toMatch(/1\/1: .*127\.0\.0\.1:1\/nope/);
    } finally {
      await n.run(["service", "rm", "nopull"]);
    }
  }, 60_000);
});

describe.skipIf(skip)("defect 8: an engine that does not answer", () => {
  test("`node ls` and `info` say the engine is unreachable while Docker is down, and recover when it is back", async () => {
    const engineCell = async () => (await n.ok(["node", "ls"])).split("\n")[1]!.trim().split(/\s{3,}/).at(-1);
    expect(await engineCell()).toMatch(/^\d+\.\d+/);
    process.kill(n.dockerd.pid, "SIGTERM");
    try {
      await waitUntil("node ls shows the engine unreachable", async () => (await engineCell()) === "unreachable", 30_000, 200);
      const inspect = await n.ok(["node", "inspect", "--pretty", "self"]);
      expect(inspect).toMatch(/Engine Status:\s+unreachable: cannot reach Docker/);
      expect(await n.ok(["info"])).toMatch(/Docker: unix:\/\/.* \(unreachable: cannot reach Docker/);
    } finally {
      await n.dockerd.restart();
    }
    await waitUntil("node ls shows the engine version again", async () => /^\d+\.\d+/.test((await engineCell()) ?? ""), 30_000, 200);
  }, 120_000);
});

describe.skipIf(skip)("defect 11: `service logs -f` of a removed service", () => {
  test("ends (exit 0) once the service is removed, after its last lines", async () => {
    await n.ok(["service", "create", "--name", "chatty", n.image, "sh", "-c", "echo hello; exec sleep 100000"]);
    const env = { ...process.env, SWARM_HOST: `unix://${n.socket}` };
    const follow = Bun.spawn([n.bin, "service", "logs", "-f", "chatty"], { stdio: ["ignore", "pipe", "pipe"], env });
    const out = new Response(follow.stdout).text();
    await Bun.sleep(500); // the follow is under way
    await n.ok(["service", "rm", "chatty"]);
    const timer = setTimeout(() => follow.kill("SIGKILL"), 20_000);
    const code = await follow.exited;
    clearTimeout(timer);
    expect(follow.signalCode).toBeNull(); // it ended by itself, not by the test's kill
    expect(code).toBe(0);
    expect(await out).toContain("hello");
  }, 60_000);
});

describe.skipIf(skip)("defect 9: `swarm init` after the agent crashed", () => {
  test("says how to start the agent again, starts nothing, destroys nothing; the advised command resumes the cluster", async () => {
    const { existsSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const state = join(n.dataDir, "state");
    await n.ok(["service", "create", "--detach", "--name", "keep", n.image, "sleep", "100000"]);
    const pid = Number(readFileSync(join(state, "agent.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    await waitUntil("the agent is gone", async () => !(await fetch("http://agent/_ping", { unix: n.socket } as RequestInit).then((r) => r.ok, () => false)), 10_000);

    const r = await n.run(["init", "--listen-addr", "0"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/already belongs to a swarm .* but its agent is not running/);
    expect(r.stderr).toMatch(/Start the agent again to resume that swarm: `swarm agent --data-dir /);
    expect(r.stderr).not.toMatch(/leave --force/);
    expect(existsSync(join(state, "node.json"))).toBe(true);
    expect(await fetch("http://agent/_ping", { unix: n.socket } as RequestInit).then((x) => x.ok, () => false)).toBe(false);

    // Do what it says (in the background, as `&` would).
    const cmd = /`(swarm agent [^`]*?) &`/.exec(r.stderr)![1]!.split(" ").slice(1);
    const agent = Bun.spawn([n.bin, ...cmd], { stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, DOCKER_HOST: n.dockerd.host } });
    agent.unref();
    await waitUntil("the restarted agent answers", () => fetch("http://agent/_ping", { unix: n.socket } as RequestInit).then((x) => x.ok, () => false), 15_000);
    // It answers at once and resumes the cluster right after (a moment of "not a manager" between).
    await waitUntil("the cluster resumed with its service", async () => (await n.run(["service", "ls", "--format", "json"])).stdout.includes('"Name":"keep"'), 45_000);
    await n.ok(["service", "rm", "keep"]);
  }, 60_000);
});
