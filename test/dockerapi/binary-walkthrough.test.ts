/**
 * Docker Swarm's service walkthrough typed with the stock `docker` CLI (Debian's docker.io), pointed at
 * the compiled swarm binary's Docker-compatible socket on a one-node cluster over a private dockerd:
 * real containers, real logs. The same agent's web address answers /metrics (parsed) and the page.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";
import { parseExposition, sampleValue } from "../web/prom-parse.ts";
import { debianDockerCli, docker, dockerOk } from "./docker-cli.ts";

const skip = skipUnlessDocker("the docker CLI walkthrough against the binary");
const cli = debianDockerCli();

describe.skipIf(skip)("docker CLI walkthrough against the swarm binary", () => {
  let n: OneNode;
  let sock: string;
  let web: string;
  const d = (args: string[]) => dockerOk(cli!, sock, args, 90_000);
  const running = async (service: string) =>
    (await n.containers(false)).filter((c) => c.Labels["com.swarm.service.name"] === service && c.State === "running");

  beforeAll(async () => {
    if (!cli) throw new Error("Debian's docker.io CLI (/usr/bin/docker) is missing: run scripts/install-deps");
    // Any free port for the web page (the default 127.0.0.1:2378 may be taken on a shared machine).
    const prev = process.env.SWARM_WEB;
    process.env.SWARM_WEB = "127.0.0.1:0";
    try {
      n = await startOneNode("dockercli");
    } finally {
      if (prev === undefined) delete process.env.SWARM_WEB;
      else process.env.SWARM_WEB = prev;
    }
    const info = JSON.parse(await n.ok(["info", "--format", "json"]));
    expect(info.DockerApi).toBe(`unix://${n.dataDir}/docker.sock`);
    sock = info.DockerApi.slice("unix://".length);
    web = info.Web;
    expect(web).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  test("docker info and version", async () => {
    const info = await d(["info"]);
    expect(info).toContain("Swarm: active");
    expect(info).toContain("Is Manager: true");
    expect(info).toContain("Nodes: 1");
    expect(info).toMatch(/Kernel Version: \S+/); // the engine's own facts
    expect(await d(["version", "--format", "{{.Server.APIVersion}}"])).toBe("1.41\n");
  });

  test("service create --detach=false converges with real containers; ls and ps as Docker prints them", async () => {
    const out = await d(["service", "create", "--name", "pingpong", "--replicas", "2", "--stop-grace-period", "1s", "--detach=false", n.image, "ping", "127.0.0.1"]);
    expect(out).toContain("overall progress: 2 out of 2 tasks");
    expect(out).toContain("verify: Service converged");
    expect(await running("pingpong")).toHaveLength(2);
    expect(await d(["service", "ls"])).toMatch(/pingpong\s+replicated\s+2\/2\s+swarm-busybox:latest/);
    const ps = await d(["service", "ps", "pingpong"]);
    expect(ps.split("\n")[0]).toMatch(/^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS$/);
    expect(ps).toMatch(/pingpong\.1\s+swarm-busybox:latest\s+\S+\s+Running\s+Running /);
  }, 90_000);

  test("service logs: name.slot.task@node prefixes, --tail, --timestamps, and -f", async () => {
    const out = await waitUntil("ping output in docker service logs", async () => {
      const r = await d(["service", "logs", "pingpong"]);
      return r.includes("bytes from 127.0.0.1") && r;
    }, 20_000, 200);
    expect(out.split("\n")[0]).toMatch(/^pingpong\.[12]\.[0-9a-z]{12}@\S+\s+\| PING 127\.0\.0\.1/);
    const tail = (await d(["service", "logs", "--tail", "1", "--timestamps", "--no-task-ids", "pingpong"])).trim().split("\n");
    expect(tail).toHaveLength(2); // one line per task
    for (const l of tail) expect(l).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z pingpong\.[12]@\S+\s+\| /);
    const raw = await d(["service", "logs", "--raw", "--tail", "1", "pingpong"]);
    expect(raw.trim().split("\n").every((l) => l.includes("bytes from 127.0.0.1"))).toBe(true);
    // -f keeps streaming new lines: read until two new sequence numbers have arrived, then stop.
    const p = Bun.spawn([cli!.bin, "-H", `unix://${sock}`, "service", "logs", "-f", "--tail", "0", "pingpong"], { stdio: ["ignore", "pipe", "pipe"] });
    const reader = p.stdout.getReader();
    let text = "";
    await waitUntil("two followed lines", async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return (text.match(/bytes from/g) ?? []).length >= 2;
    }, 15_000, 0);
    p.kill();
    await p.exited;
  }, 60_000);

  test("scale, update and rollback converge; rm removes the containers", async () => {
    expect(await d(["service", "scale", "pingpong=3"])).toContain("verify: Service converged");
    expect(await running("pingpong")).toHaveLength(3);
    expect(await d(["service", "update", "--env-add", "MODE=blue", "pingpong"])).toContain("verify: Service converged");
    const inspect = JSON.parse(await d(["service", "inspect", "pingpong"]));
    expect(inspect[0].Spec.TaskTemplate.ContainerSpec.Env).toEqual(["MODE=blue"]);
    expect(inspect[0].PreviousSpec.TaskTemplate.ContainerSpec.Env).toBeUndefined();
    expect(await d(["service", "rollback", "pingpong"])).toContain("verify: Service converged");
    expect(await d(["service", "inspect", "pingpong", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Env}}"])).toBe("[]\n");
    expect(await d(["service", "rm", "pingpong"])).toBe("pingpong\n");
    await waitUntil("no pingpong containers", async () => (await running("pingpong")).length === 0, 30_000, 200);
  }, 120_000);

  test("the node commands", async () => {
    const ls = await d(["node", "ls"]);
    expect(ls).toMatch(/^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION\n[0-9a-f]{25} \*\s+\S+\s+Ready\s+Active\s+Leader\s+20\.10/);
    await d(["node", "update", "--label-add", "disk=ssd", "self"]);
    expect(await d(["node", "inspect", "self", "--format", "{{.Spec.Labels.disk}}"])).toBe("ssd\n");
    expect(await d(["node", "ls", "-q", "--filter", "node.label=disk=ssd"])).toMatch(/^[0-9a-f]{25}\n$/);
    const rm = await docker(cli!, sock, ["node", "rm", "self"]);
    expect(rm.code).toBe(1); // Docker refuses to remove a manager too
  });

  test("/metrics on the web address parses and counts the Docker API's requests", async () => {
    const res = await fetch(`${web}metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const fams = parseExposition(await res.text());
    expect(sampleValue(fams, "swarm_nodes", { status: "ready", availability: "active", role: "manager" })).toBe(1);
    expect(sampleValue(fams, "swarm_raft_leader")).toBe(1);
    expect(sampleValue(fams, "swarm_raft_term")).toBeGreaterThanOrEqual(1);
    expect(sampleValue(fams, "swarm_api_requests_total", { api: "docker", method: "POST", code: "201" })).toBeGreaterThanOrEqual(1);
    // `node rm self` was refused above: counted as a Docker API error.
    const errors = fams.get("swarm_docker_api_errors_total")!.samples.reduce((a, s) => a + s.value, 0);
    expect(errors).toBeGreaterThanOrEqual(1);
    expect((await fetch(web)).headers.get("content-type")).toContain("text/html");
  });
});
