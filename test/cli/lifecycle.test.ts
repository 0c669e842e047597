/**
 * Task lifecycle through the compiled binary: restart policy and replacement tasks, an image that
 * cannot be pulled, global mode, following logs, and an agent killed with SIGKILL that comes back,
 * finds its state and adopts its containers instead of starting them twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "./fixture.ts";

const skip = skipUnlessDocker("task lifecycle tests");

describe.skipIf(skip)("task lifecycle on a one-node cluster", () => {
  let n: OneNode;
  beforeAll(async () => {
    n = await startOneNode("life");
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  const tasks = (service: string) => n.tasks(service);

  test("a task that exits is replaced in the same slot after the restart delay; history is kept", async () => {
    await n.ok(["service", "create", "--detach", "--name", "flaky", "--restart-delay", "200ms", n.image, "sh", "-c", "sleep 0.3; exit 3"]);
    const ts = await waitUntil("three attempts in slot 1", async () => {
      const t = await tasks("flaky");
      return t.length >= 3 && t;
    }, 30_000, 100);
    expect(new Set(ts.map((t: any) => t.Slot))).toEqual(new Set([1]));
    const failed = ts.filter((t: any) => t.CurrentState === "failed");
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0].Error).toMatch(/non-zero exit \(3\)/);
    const ps = await n.ok(["service", "ps", "flaky"]);
    expect(ps).toMatch(/\\_ flaky\.1/);
    // Never more than 5 tasks of history per slot.
    await waitUntil("history grows to its cap", async () => (await tasks("flaky")).length >= 5, 30_000, 200);
    expect((await tasks("flaky")).length).toBeLessThanOrEqual(5);
    await n.ok(["service", "rm", "flaky"]);
  });

  test("restart-condition none leaves a completed task alone", async () => {
    await n.ok(["service", "create", "--detach", "--name", "once", "--restart-condition", "none", n.image, "true"]);
    await waitUntil("the task completes", async () => (await tasks("once"))[0]?.CurrentState === "complete", 20_000, 100);
    // A barrier: another service converging means the orchestrator has run since the task completed.
    await n.ok(["service", "create", "--name", "barrier", "--stop-grace-period", "1s", n.image, "sleep", "1000"]);
    const ts = await tasks("once");
    expect(ts).toHaveLength(1);
    expect(ts[0].CurrentState).toBe("complete");
    await n.ok(["service", "rm", "once", "barrier"]);
  });

  test("an image that cannot be pulled is rejected with Docker's error, and retried without a tight loop", async () => {
    await n.ok(["service", "create", "--detach", "--name", "ghost", "--restart-delay", "2s", "no-such-image:1.0"]);
    const t = await waitUntil("a rejected task", async () => (await tasks("ghost")).find((x: any) => x.CurrentState === "rejected"), 30_000, 100);
    expect(t.Error).toMatch(/no-such-image/);
    const ps = await n.ok(["service", "ps", "--no-trunc", "ghost"]);
    expect(ps).toMatch(/Rejected .* ago\s+".*no-such-image.*"/);
    // With a 2 s restart delay, consecutive attempts are at least 2 s apart.
    const rejected = await waitUntil("three rejected attempts", async () => {
      const r = (await tasks("ghost")).filter((x: any) => x.CurrentState === "rejected");
      return r.length >= 3 && r;
    }, 30_000, 200);
    const times = rejected.map((x: any) => Date.parse(x.Since)).sort((a: number, b: number) => a - b);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1900);
    await n.ok(["service", "rm", "ghost"]);
  });

  test("global mode runs one task on the node", async () => {
    await n.ok(["service", "create", "--name", "agentd", "--mode", "global", "--stop-grace-period", "1s", n.image, "sleep", "1000"]);
    const t = await tasks("agentd");
    expect(t).toHaveLength(1);
    expect(t[0].Slot).toBeUndefined();
    expect(await n.ok(["service", "ls"])).toMatch(/agentd\s+global\s+1\/1/);
    await n.ok(["service", "rm", "agentd"]);
  });

  test("logs --follow streams new lines and picks up tasks that start later", async () => {
    await n.ok(["service", "create", "--name", "talker", "--stop-grace-period", "1s", n.image, "sh", "-c", "i=0; while true; do echo line-$i-$HOSTNAME; i=$((i+1)); sleep 0.2; done"]);
    const p = Bun.spawn([n.bin, "service", "logs", "--follow", "--tail", "1", "talker"], {
      env: { ...process.env, SWARM_HOST: `unix://${n.socket}` },
      stdout: "pipe",
      stderr: "pipe",
    });
    let out = "";
    const reader = (async () => {
      for await (const chunk of p.stdout as unknown as AsyncIterable<Uint8Array>) out += new TextDecoder().decode(chunk);
    })();
    try {
      await waitUntil("a few lines from slot 1", () => (out.match(/^talker\.1\./gm) ?? []).length >= 3, 20_000, 50);
      await n.ok(["service", "scale", "talker=2"]);
      await waitUntil("lines from slot 2, which started later", () => /^talker\.2\.\S+\s+\| line-0-/m.test(out), 20_000, 50);
    } finally {
      p.kill();
      await reader.catch(() => undefined);
    }
    // A reader that goes away (`| head -n 2`) ends the CLI quietly.
    const head = await Bun.$`${n.bin} service logs --follow talker | head -n 2`.env({ ...process.env, SWARM_HOST: `unix://${n.socket}` }).nothrow().quiet();
    expect(head.stdout.toString().trim().split("\n")).toHaveLength(2);
    expect(head.stderr.toString()).toBe("");
    await n.ok(["service", "rm", "talker"]);
  });

  test("a task that fits no node stays pending with the scheduler's reason", async () => {
    await n.ok(["service", "create", "--detach", "--name", "picky", "--constraint", "node.role==worker", n.image, "sleep", "1000"]);
    const t = await waitUntil("the scheduler's verdict", async () => (await tasks("picky")).find((x: any) => x.Error), 20_000, 100);
    expect(t.CurrentState).toBe("pending");
    expect(t.Error).toMatch(/no suitable node \(scheduling constraints not satisfied on 1 node\)/);
    expect(await n.ok(["service", "ls"])).toMatch(/picky\s+replicated\s+0\/1/);
    await n.ok(["service", "update", "--detach", "--constraint-rm", "node.role==worker", "--constraint-add", "node.role==manager", "picky"]);
    await waitUntil("the task runs once the constraint fits", async () => (await tasks("picky")).some((x: any) => x.CurrentState === "running"), 20_000, 100);
    await n.ok(["service", "rm", "picky"]);
  });

  test("env, workdir, tmpfs mount, user and labels reach the container", async () => {
    await n.ok([
      "service", "create", "--name", "shape", "--restart-condition", "none", "-e", "GREETING=hello", "-w", "/scratch",
      "--mount", "type=tmpfs,dst=/scratch", "-u", "nobody", "--container-label", "team=edge", "--hostname", "shaped",
      "--detach", n.image, "sh", "-c", "echo $GREETING from $(pwd) as $(id -u) on $(hostname); mount | grep -c ' /scratch type tmpfs'",
    ]);
    const out = await waitUntil("the container's output", async () => {
      // Both lines: the second is written a moment after the first.
      const r = await n.ok(["service", "logs", "--raw", "shape"]);
      return r.includes("hello") && /\n\d+\n/.test(r) && r;
    }, 20_000, 100);
    expect(out).toContain("hello from /scratch as 65534 on shaped\n1\n");
    const c = (await n.containers(true)).find((x) => x.Labels["com.swarm.service.name"] === "shape")!;
    expect(c.Labels.team).toBe("edge");
    await n.ok(["service", "rm", "shape"]);
  });

  test("tasks run under an init by default (they stop at once); --init=false runs the command as PID 1", async () => {
    await n.ok(["service", "create", "--detach", "--name", "withinit", "--restart-condition", "none", n.image, "sh", "-c", "echo pid=$$"]);
    await n.ok(["service", "create", "--detach", "--name", "noinit", "--init=false", "--restart-condition", "none", n.image, "sh", "-c", "echo pid=$$"]);
    const out = async (s: string) => waitUntil(`${s} output`, async () => (await n.ok(["service", "logs", "--raw", s])).trim() || undefined, 20_000, 100);
    expect(await out("noinit")).toBe("pid=1");
    expect(await out("withinit")).toMatch(/^pid=(?!1$)\d+$/);
    await n.ok(["service", "rm", "withinit", "noinit"]);
  });

  test("an agent killed with SIGKILL restarts with its services and adopts its containers", async () => {
    await n.ok(["service", "create", "--name", "keeper", "--replicas", "3", "--stop-grace-period", "1s", n.image, "sleep", "100000"]);
    const before = (await n.containers(false)).filter((c) => c.Labels["com.swarm.service.name"] === "keeper").map((c) => c.Names[0]).sort();
    expect(before).toHaveLength(3);
    const info = JSON.parse(await n.ok(["info", "--format", "json"]).catch(() => "{}"));
    const pid: number = info.Pid ?? Number((await Bun.$`pgrep -f ${"--socket " + n.socket}`.text()).trim().split("\n")[0]);
    process.kill(pid, "SIGKILL");
    await waitUntil("the agent is gone", async () => (await n.run(["service", "ls"])).code !== 0, 10_000, 50);
    const dataDir = join(n.dataDir, "state");
    const agent = Bun.spawn([n.bin, "agent", "--data-dir", dataDir, "--socket", n.socket, "--docker-host", n.dockerd.host, "--log-file", join(dataDir, "agent.log")], {
      stdio: ["ignore", "ignore", "ignore"],
    });
    agent.unref();
    await waitUntil("the agent answers again", async () => (await n.run(["service", "ls"])).code === 0, 20_000, 50);
    expect(await n.ok(["service", "ls"])).toMatch(/keeper\s+replicated\s+3\/3/);
    await waitUntil("the worker settled", async () => (await n.ok(["service", "ls"])).includes("3/3"), 10_000);
    const after = (await n.containers(false)).filter((c) => c.Labels["com.swarm.service.name"] === "keeper").map((c) => c.Names[0]).sort();
    expect(after).toEqual(before);
    expect((await n.containers(true)).filter((c) => c.Labels["com.swarm.service.name"] === "keeper")).toHaveLength(3);
    await n.ok(["service", "rm", "keeper"]);
  });
});
