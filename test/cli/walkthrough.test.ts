/**
 * The Docker Swarm service walkthrough, with the compiled `swarm` binary in place of `docker`, on a
 * one-node cluster over a private dockerd. Each step checks what a user would look at: the CLI's
 * output, and the containers Docker really runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "./fixture.ts";

const skip = skipUnlessDocker("the one-node walkthrough");

describe.skipIf(skip)("the service walkthrough on a one-node cluster", () => {
  let n: OneNode;
  beforeAll(async () => {
    n = await startOneNode("walk");
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  const running = async (service: string) =>
    (await n.containers(false)).filter((c) => c.Labels["com.swarm.service.name"] === service && c.State === "running");

  test("service create waits until the task runs and is stable, then prints the ID", async () => {
    const out = await n.ok(["service", "create", "--name", "pingpong", "--stop-grace-period", "2s", n.image, "ping", "127.0.0.1"]);
    expect(out).toMatch(/^[0-9a-z]{25}\n/);
    expect(out).toContain("overall progress: 1 out of 1 tasks");
    expect(out).toContain("verify: Service converged");
    const cs = await running("pingpong");
    expect(cs).toHaveLength(1);
    expect(cs[0]!.Names[0]).toMatch(/^\/pingpong\.1\.[0-9a-z]{25}$/);
  });

  test("service ls and service ps show the running task like Docker does", async () => {
    const ls = await n.ok(["service", "ls"]);
    expect(ls.split("\n")[0]).toMatch(/^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS$/);
    expect(ls).toMatch(/pingpong\s+replicated\s+1\/1\s+swarm-busybox/);
    const ps = await n.ok(["service", "ps", "pingpong"]);
    expect(ps.split("\n")[0]).toMatch(/^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS$/);
    expect(ps).toMatch(/pingpong\.1\s+swarm-busybox:latest\s+\S+\s+Running\s+Running .* ago/);
  });

  test("service logs prefixes every line with name.slot.taskid@node", async () => {
    const out = await waitUntil("ping output in the logs", async () => {
      const r = await n.ok(["service", "logs", "pingpong"]);
      return r.includes("bytes from 127.0.0.1") && r;
    }, 20_000, 200);
    expect(out.split("\n")[0]).toMatch(/^pingpong\.1\.[0-9a-z]{12}@\S+\s+\| PING 127\.0\.0\.1/);
    const tail = await n.ok(["service", "logs", "--tail", "1", "--no-task-ids", "--timestamps", "pingpong"]);
    const lines = tail.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pingpong\.1@\S+\s+\| \d{4}-\d\d-\d\dT[\d:.]+Z /);
  });

  test("update --replicas 6 converges to 6 running containers", async () => {
    const out = await n.ok(["service", "update", "pingpong", "--replicas", "6"]);
    expect(out).toContain("verify: Service converged");
    expect(await running("pingpong")).toHaveLength(6);
  });

  test("update --replicas 9 --detach=false converges to 9", async () => {
    await n.ok(["service", "update", "pingpong", "--replicas", "9", "--detach=false"]);
    expect(await running("pingpong")).toHaveLength(9);
    expect(await n.ok(["service", "ls"])).toMatch(/pingpong\s+replicated\s+9\/9/);
  });

  test("update --replicas 12 --detach=true returns once committed; the tasks follow", async () => {
    const out = await n.ok(["service", "update", "pingpong", "--replicas", "12", "--detach=true"]);
    expect(out).not.toContain("overall progress");
    const inspect = JSON.parse(await n.ok(["service", "inspect", "pingpong"]));
    expect(inspect[0].Spec.Mode.Replicated.Replicas).toBe(12);
    await waitUntil("12 running containers", async () => (await running("pingpong")).length === 12, 30_000, 100);
  });

  test("scaling down stops the highest slots, and their logs stay readable", async () => {
    const before = await n.ok(["service", "ps", "-q", "--no-trunc", "--filter", "name=pingpong.12", "pingpong"]);
    const gone = before.trim();
    expect(gone).toMatch(/^[0-9a-z]{25}$/);
    await n.ok(["service", "scale", "pingpong=10"]);
    const slots = (await running("pingpong")).map((c) => Number(c.Labels["com.swarm.task.slot"])).sort((a, b) => a - b);
    expect(slots).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await waitUntil("the removed containers are gone", async () => (await n.containers(true)).filter((c) => c.Labels["com.swarm.service.name"] === "pingpong").length === 10, 30_000, 100);
    const logs = await n.ok(["service", "logs", "--no-trunc", "pingpong"]);
    expect(logs).toMatch(new RegExp(`^pingpong\\.12\\.${gone}@\\S+\\s+\\| PING 127\\.0\\.0\\.1`, "m"));
  });

  test("ls -q | xargs rm removes every service and every container", async () => {
    await n.ok(["service", "create", "--name", "second", "--detach", "--stop-grace-period", "1s", n.image, "sleep", "1000"]);
    const ids = (await n.ok(["service", "ls", "-q"])).trim().split("\n");
    expect(ids).toHaveLength(2);
    const out = await n.ok(["service", "rm", ...ids]);
    expect(out.trim().split("\n")).toEqual(ids);
    expect((await n.ok(["service", "ls", "-q"])).trim()).toBe("");
    await waitUntil("no container left", async () => (await n.containers(true)).length === 0, 60_000, 100);
  });
});
