/**
 * The stock Docker CLI against swarm's Docker-compatible API, on a one-process cluster (3 managers, 1
 * worker; real agents, fake runtimes): the daemon's own backend and unix-socket server on every node,
 * so the CLI talks to the leader, to a follower manager and to a worker exactly as it would in a
 * cluster of hosts. Runs with Debian's docker.io (20.10, required) and with a current Docker CLI when
 * the machine has one (counted skipped, and said so, when not).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerBackend, serveUnix } from "../../internal/daemon/index.ts";
import { createDockerApiHandler } from "../../internal/dockerapi/index.ts";
import { TestCluster, type TestNode } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { currentDockerCli, debianDockerCli, docker, dockerOk, type DockerCli } from "./docker-cli.ts";

const debian = debianDockerCli();
const current = currentDockerCli();
if (!current) console.warn("SKIPPED: no current Docker CLI besides Debian's docker.io on PATH; only Debian's CLI is tested");

let c: TestCluster;
const dir = mkdtempSync(join(tmpdir(), "swarm-dockerapi-"));
const servers: { stop(force?: boolean): void }[] = [];
const sock: Record<string, string> = {};

async function serve(n: TestNode): Promise<void> {
  const path = join(dir, `${n.name}.sock`);
  servers.push(await serveUnix(path, createDockerApiHandler(dockerBackend(n.api), { onInternalError: (err) => console.error("internal error", err) })));
  sock[n.name] = path;
}

beforeAll(async () => {
  if (!debian) throw new Error("Debian's docker.io CLI (/usr/bin/docker) is missing: run scripts/install-deps");
  c = await TestCluster.start(1301, 3, 1);
  for (const n of c.nodes) await serve(n);
}, 60_000);

afterAll(async () => {
  for (const s of servers) s.stop(true);
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

const clis: [string, DockerCli | undefined][] = [
  [`Debian docker.io ${debian?.version}`, debian],
  [`current Docker CLI ${current?.version ?? "(none on this machine)"}`, current],
];

/** "verify: Service converged" (20.10), "verify: Service <id> converged" (28). */
const CONVERGED = /verify: Service (\S+ )?converged/;

const leaderSock = () => sock[c.leader()!.name]!;

for (const [label, cli] of clis) {
  describe.skipIf(!cli)(label, () => {
    const d = (args: string[], s = leaderSock()) => dockerOk(cli!, s, args);

    test("version and info negotiate API 1.41 and report the swarm", async () => {
      const v = await d(["version", "--format", "{{.Server.APIVersion}} {{.Server.Version}} {{.Client.APIVersion}}"]);
      const [serverApi, serverVersion, clientApi] = v.trim().split(" ");
      expect(serverApi).toBe("1.41");
      expect(serverVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(clientApi).toBe("1.41"); // negotiated down from the client's own
      const info = await d(["info"]);
      expect(info).toContain("Swarm: active");
      expect(info).toContain(`NodeID: ${c.leader()!.id.slice(0, 25)}`);
      expect(info).toContain("Is Manager: true");
      expect(info).toContain("Managers: 3");
      expect(info).toContain("Nodes: 4");
      expect(await d(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"])).toBe("active true\n");
    });

    test("a client pinned to an older API (/v1.30/ prefixes) is served; one above 1.41 is refused in Docker's words", async () => {
      const old = await docker(cli!, leaderSock(), ["version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}}"], undefined, { DOCKER_API_VERSION: "1.30" });
      expect(old.code).toBe(0);
      expect(old.stdout).toBe("1.30 1.41\n");
      const nodes = await docker(cli!, leaderSock(), ["node", "ls", "-q"], undefined, { DOCKER_API_VERSION: "1.30" });
      expect(nodes.code).toBe(0);
      expect(nodes.stdout.trim().split("\n")).toHaveLength(4);
      const tooNew = await docker(cli!, leaderSock(), ["node", "ls"], undefined, { DOCKER_API_VERSION: "1.43" });
      expect(tooNew.code).toBe(1);
      expect(tooNew.stderr).toContain("client version 1.43 is too new. Maximum supported API version is 1.41");
    });

    test("node ls / inspect / ps, with filters and formats", async () => {
      const ls = await d(["node", "ls"]);
      const lines = ls.trim().split("\n");
      expect(lines[0]).toMatch(/^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION$/);
      expect(lines).toHaveLength(5);
      const leader = c.leader()!;
      expect(lines.find((l) => l.includes(` ${leader.name} `))).toMatch(new RegExp(`^${leader.id.slice(0, 25)} \\*\\s+${leader.name}\\s+Ready\\s+Active\\s+Leader\\s+fake-1.0$`));
      expect(lines.find((l) => l.includes(" w1 "))).toMatch(/w1\s+Ready\s+Active\s+fake-1.0$/);
      const managers = (await d(["node", "ls", "-q", "--filter", "role=manager"])).trim().split("\n");
      expect(managers.sort()).toEqual(c.nodes.filter((n) => n.name.startsWith("m")).map((n) => n.id.slice(0, 25)).sort());
      expect(await d(["node", "ls", "--filter", "name=w", "--format", "{{.Hostname}} {{.Status}} {{.Availability}}"])).toBe("w1 Ready Active\n");
      expect(await d(["node", "inspect", "self", "--format", "{{.Description.Hostname}} {{.Spec.Role}} {{.ManagerStatus.Leader}}"])).toBe(`${leader.name} manager true\n`);
      expect(await d(["node", "inspect", "w1", "--format", "{{.Status.State}} {{.Status.Addr}}"])).toBe(`ready ${c.state().nodes[c.nodes.find((n) => n.name === "w1")!.id]!.Status.Addr}\n`);
      await d(["node", "ps", "w1"]); // no tasks yet: header only
    });

    test("node update, promote, demote", async () => {
      const w1 = c.nodes.find((n) => n.name === "w1")!;
      await d(["node", "update", "--label-add", "zone=edge", "--availability", "drain", "w1"]);
      let n = c.state().nodes[w1.id]!;
      expect(n.Spec.Labels).toEqual({ zone: "edge" });
      expect(n.Spec.Availability).toBe("drain");
      await d(["node", "update", "--label-rm", "zone", "--availability", "active", "w1"]);
      n = c.state().nodes[w1.id]!;
      expect(n.Spec.Labels).toEqual({});
      expect(n.Spec.Availability).toBe("active");
      expect(await d(["node", "promote", "w1"])).toContain("Node w1 promoted to a manager in the swarm.");
      await waitUntil("w1 a manager", () => c.state().nodes[w1.id]?.ManagerStatus !== undefined && w1.agent.role === "manager", 15_000);
      // Right after a promotion the leader may briefly miss a connection (peers re-admit the promoted
      // node): a demote then is refused as a quorum risk, as it should; it passes once all are back.
      const demoted = await waitUntil("demote accepted", async () => {
        const r = await docker(cli!, leaderSock(), ["node", "demote", "w1"]);
        if (r.code === 0) return r.stdout;
        if (!r.stderr.includes("loss of quorum")) throw new Error(`demote refused for another reason: ${r.stderr}`);
        return undefined;
      }, 10_000, 100);
      expect(demoted).toContain("Manager w1 demoted in the swarm.");
      await waitUntil("w1 a worker again", () => c.state().nodes[w1.id]?.ManagerStatus === undefined && w1.agent.role === "worker", 15_000);
    }, 60_000);

    test("the service walkthrough: create, ls, ps, inspect, scale, update, rollback, rm (--detach=false converges)", async () => {
      const name = `web-${cli!.version.split(".")[0]}`;
      const created = await d(["service", "create", "--name", name, "--replicas", "3", "--detach=false", "--label", "tier=front", "-e", "A=1", "swarm-busybox", "sleep", "1000"]);
      expect(created).toMatch(CONVERGED);
      const st = () => c.state();
      const svc = () => Object.values(st().services).find((s) => s.Spec.Name === name)!;
      expect(svc().Spec.TaskTemplate.ContainerSpec).toMatchObject({ Image: "swarm-busybox:latest", Args: ["sleep", "1000"], Env: ["A=1"], Init: false });
      expect(svc().Spec.Labels).toEqual({ tier: "front" });

      const ls = await d(["service", "ls", "--filter", `name=${name}`]);
      expect(ls).toMatch(new RegExp(`^ID\\s+NAME\\s+MODE\\s+REPLICAS\\s+IMAGE\\s+PORTS\\n${svc().ID.slice(0, 12)}\\s+${name}\\s+replicated\\s+3/3\\s+swarm-busybox:latest\\s*\\n$`));
      const ps = (await d(["service", "ps", name, "--format", "{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}"])).trim().split("\n");
      expect(ps).toHaveLength(3);
      for (const l of ps) expect(l).toMatch(new RegExp(`^${name}\\.[123] (m[123]|w1) Running Running `));
      expect(await d(["service", "inspect", name, "--format", "{{.Spec.Mode.Replicated.Replicas}} {{.Spec.TaskTemplate.ContainerSpec.Image}}"])).toBe("3 swarm-busybox:latest\n");
      expect(await d(["service", "inspect", "--pretty", name])).toContain(`Name:\t\t${name}`);

      expect(await d(["service", "scale", `${name}=5`])).toMatch(CONVERGED);
      expect(Object.values(st().tasks).filter((t) => t.ServiceID === svc().ID && t.Status.State === "running" && t.DesiredState === "running")).toHaveLength(5);

      const before = svc().Version.Index;
      expect(await d(["service", "update", "--env-add", "B=2", "--detach=false", name])).toMatch(CONVERGED);
      // The CLI rebuilds the list from a Go map: the order is random.
      expect([...svc().Spec.TaskTemplate.ContainerSpec.Env!].sort()).toEqual(["A=1", "B=2"]);
      expect(svc().Version.Index).toBeGreaterThan(before);
      const running = Object.values(st().tasks).filter((t) => t.ServiceID === svc().ID && t.Status.State === "running" && t.DesiredState === "running");
      expect(running.map((t) => [...t.Spec.ContainerSpec.Env!].sort())).toEqual(running.map(() => ["A=1", "B=2"]));

      const rb = await docker(cli!, leaderSock(), ["service", "rollback", name]);
      expect(rb.code).toBe(0);
      expect(rb.stdout).toMatch(CONVERGED);
      expect(svc().Spec.TaskTemplate.ContainerSpec.Env).toEqual(["A=1"]);

      expect(await d(["service", "rm", name])).toBe(`${name}\n`);
      expect(Object.values(st().services).some((s) => s.Spec.Name === name)).toBe(false);
    }, 120_000);

    test("service logs gathers the lines of tasks on every node, with Docker's prefixes", async () => {
      const name = `logs-${cli!.version.split(".")[0]}`;
      await d(["service", "create", "--name", name, "--replicas", "4", "--detach=false", "swarm-busybox", "sh", "-c", "echo hello; echo oops >&2; sleep 1000"]);
      const svc = Object.values(c.state().services).find((s) => s.Spec.Name === name)!;
      const hosts = new Set(Object.values(c.state().tasks).filter((t) => t.ServiceID === svc.ID && t.DesiredState === "running").map((t) => c.state().nodes[t.NodeID!]!.Description.Hostname));
      expect(hosts.size).toBeGreaterThan(1); // spread: the lines come from several nodes
      const r = await docker(cli!, leaderSock(), ["service", "logs", "--no-task-ids", name]);
      expect(r.code).toBe(0);
      const out = r.stdout.trim().split("\n").sort();
      const err = r.stderr.trim().split("\n").sort();
      expect(out).toHaveLength(4);
      expect(err).toHaveLength(4);
      for (const l of out) expect(l).toMatch(new RegExp(`^${name}\\.[1-4]@(m[123]|w1)\\s+\\| hello$`));
      for (const l of err) expect(l).toMatch(/\| oops$/);
      expect(new Set(out.map((l) => /@(\S+)/.exec(l)![1]))).toEqual(hosts);
      const last = await docker(cli!, leaderSock(), ["service", "logs", "--raw", "--tail", "2", name]);
      expect(last.stdout.trim().split("\n")).toEqual(["hello", "hello", "hello", "hello"]);
      expect(last.stderr.trim().split("\n")).toEqual(["oops", "oops", "oops", "oops"]);
      await d(["service", "rm", name]);
    }, 60_000);

    test("a follower manager answers reads and takes writes; a worker answers as Docker's does", async () => {
      const follower = c.nodes.find((n) => n.up && n.agent.role === "manager" && n !== c.leader())!;
      const name = `via-follower-${cli!.version.split(".")[0]}`;
      await d(["service", "create", "--name", name, "-d", "swarm-busybox", "sleep", "1000"], sock[follower.name]);
      expect(await d(["service", "ls", "--format", "{{.Name}}", "--filter", `name=${name}`], sock[follower.name])).toBe(`${name}\n`);
      const w = await docker(cli!, sock.w1!, ["service", "ls"]);
      expect(w.code).toBe(1);
      expect(w.stderr).toContain("This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.");
      expect(await d(["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"], sock.w1)).toBe("active false\n");
      await d(["service", "rm", name]);
    });

    test("join tokens, and rotation", async () => {
      const out = await d(["swarm", "join-token", "worker"]);
      expect(out).toMatch(/docker swarm join --token SWMTKN-1-[a-z0-9]{25}-[a-z2-7]{52}-[a-z0-9]{26} 10\.0\.0\.\d+:2377/);
      const before = (await d(["swarm", "join-token", "-q", "manager"])).trim();
      expect(before).toMatch(/^SWMTKN-1-/);
      await d(["swarm", "join-token", "--rotate", "-q", "manager"]);
      const after = (await d(["swarm", "join-token", "-q", "manager"])).trim();
      expect(after).not.toBe(before);
    });

    test("errors read as Docker's: unknown service, unsupported flag, an endpoint not served", async () => {
      const missing = await docker(cli!, leaderSock(), ["service", "inspect", "nosuch"]);
      expect(missing.code).toBe(1);
      expect(missing.stderr.toLowerCase()).toContain("no such service: nosuch");
      const dns = await docker(cli!, leaderSock(), ["service", "create", "--name", "s", "--dns", "1.1.1.1", "-d", "swarm-busybox", "sleep", "1"]);
      expect(dns.code).toBe(1);
      expect(dns.stderr).toContain("--dns");
      expect(dns.stderr).toContain("is not supported");
      const ps = await docker(cli!, leaderSock(), ["ps"]);
      expect(ps.code).toBe(1);
      expect(ps.stderr).toContain("is not served by swarm's Docker API");
      expect(ps.stderr).toContain("/containers/json");
    });
  });
}

// Last, as it takes w1 away from the cluster the tests above use.
describe.skipIf(!debian)("node rm (Debian docker.io)", () => {
  test("refused while the node is up (Docker's rule), done once it is Down", async () => {
    const w1 = c.nodes.find((n) => n.name === "w1")!;
    const up = await docker(debian!, leaderSock(), ["node", "rm", "w1"]);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain("is not down and can't be removed");
    await c.powerOff(w1);
    await waitUntil("w1 down", () => c.state().nodes[w1.id]?.Status.State === "down", 15_000);
    expect(await dockerOk(debian!, leaderSock(), ["node", "rm", "w1"])).toBe("w1\n");
    await waitUntil("w1 gone from the state", () => c.state().nodes[w1.id] === undefined, 10_000);
    const ls = await dockerOk(debian!, leaderSock(), ["node", "ls", "--format", "{{.Hostname}}"]);
    expect(ls.trim().split("\n").sort()).toEqual(["m1", "m2", "m3"]);
  }, 60_000);
});
