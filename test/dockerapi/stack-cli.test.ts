/**
 * `docker stack deploy/ls/services/ps/rm` of the stock Docker CLIs (Debian's docker.io 20.10, and a
 * current one when the machine has it) against swarm's Docker-compatible API, on a one-process
 * cluster (fake runtimes): every request each CLI sends is recorded and must be served; the services
 * are those `swarm stack deploy` makes of the same file (internal/stack's specs); a redeploy changes
 * nothing, one change updates one service, --prune removes, `stack rm` leaves nothing; a stack's
 * secret is created, sent back unchanged on a redeploy and removed with the stack; networks outside a
 * stack are refused naming them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTerminal, type Service, type ServiceSpec } from "../../internal/api/index.ts";
import { dockerBackend, serveUnix } from "../../internal/daemon/index.ts";
import { createDockerApiHandler } from "../../internal/dockerapi/index.ts";
import { parseServiceSpec } from "../../internal/spec/index.ts";
import { loadStack } from "../../internal/stack/index.ts";
import { TestCluster } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { currentDockerCli, debianDockerCli, docker, dockerOk, type DockerCli } from "./docker-cli.ts";
import { SHOP } from "./stack-fixture.ts";

const debian = debianDockerCli();
const current = currentDockerCli();
if (!current) console.warn("SKIPPED: no current Docker CLI besides Debian's docker.io on PATH; only Debian's CLI is tested");

let c: TestCluster;
const dir = mkdtempSync(join(tmpdir(), "dstack-cli-"));
const servers: { stop(force?: boolean): void }[] = [];
/** Each manager's Docker API socket, by node name. */
const sockOf: Record<string, string> = {};
/** Every request since the last `requests.length = 0`: "METHOD /path status" (version prefix cut). */
const requests: string[] = [];
const notes: string[] = [];
let sock: string; // the leader's

beforeAll(async () => {
  if (!debian) throw new Error("Debian's docker.io CLI (/usr/bin/docker) is missing: run scripts/install-deps");
  c = await TestCluster.start(1517, 3, 0);
  for (const n of c.nodes) {
    const handler = createDockerApiHandler(dockerBackend(n.api), {
      onInternalError: (err) => console.error("internal error", err),
      onNote: (note) => notes.push(note),
    });
    sockOf[n.name] = join(dir, `${n.name}.sock`);
    servers.push(await serveUnix(sockOf[n.name]!, async (req) => {
      const res = await handler(req);
      requests.push(`${req.method} ${new URL(req.url).pathname.replace(/^\/v[\d.]+/, "")} ${res.status}`);
      return res;
    }));
  }
  sock = sockOf[c.leader()!.name]!;
  mkdirSync(join(dir, "conf"));
}, 60_000);

afterAll(async () => {
  for (const s of servers) s.stop(true);
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The stack's services in the leader's state, by name. */
const stackServices = (stack: string): Service[] =>
  Object.values(c.state().services).filter((s) => s.Spec.Labels["com.docker.stack.namespace"] === stack).sort((a, b) => a.Spec.Name.localeCompare(b.Spec.Name));

const runningTasks = (s: Service) => Object.values(c.state().tasks).filter((t) => t.ServiceID === s.ID && t.DesiredState === "running" && t.Status.State === "running");

/** What `swarm stack deploy` would create from the same file: internal/stack's specs, through the schema. */
const swarmSpecs = (compose: string, env: Record<string, string> = {}) =>
  Object.fromEntries(loadStack("shop", { files: [{ path: join(dir, "compose.yml"), text: compose }], env, projectDir: dir, readFile: () => undefined })
    .services.map((s) => [`shop_${s.name}`, parseServiceSpec(s.spec)]));

/**
 * A spec as stored: a port the file leaves to the cluster (published 0) holds the port the cluster
 * allocated, whichever deploy created it.
 */
function withAllocatedPorts(want: ServiceSpec, have: ServiceSpec): ServiceSpec {
  const ports = want.EndpointSpec.Ports.map((p, i) => (p.PublishedPort === 0 ? { ...p, PublishedPort: have.EndpointSpec.Ports[i]?.PublishedPort ?? 0 } : p));
  return { ...want, EndpointSpec: { ...want.EndpointSpec, Ports: ports } };
}

/** Lines starting with one of the words, sorted (the CLI walks Go maps: its order is random). */
const lines = (out: string, ...words: string[]) => out.split("\n").filter((l) => words.some((w) => l.startsWith(w))).sort();

const clis: [string, DockerCli | undefined][] = [
  [`Debian docker.io ${debian?.version}`, debian],
  [`current Docker CLI ${current?.version ?? "(none on this machine)"}`, current],
];

for (const [label, cli] of clis) {
  describe.skipIf(!cli)(label, () => {
    const d = (args: string[]) => dockerOk(cli!, sock, args);
    const major = Number(cli?.version.split(".")[0] ?? 0);
    const compose = SHOP("swarm-busybox");

    test("deploy: networks as names, the services swarm stack deploy makes, every request served", async () => {
      const f = file("compose.yml", compose);
      requests.length = 0;
      notes.length = 0;
      const r = await docker(cli!, sock, ["stack", "deploy", "-c", f, "shop"]);
      expect(r.stderr).not.toContain("Error");
      expect(r.code).toBe(0);
      expect(lines(r.stdout, "Creating")).toEqual([
        "Creating network shop_back", "Creating network shop_default", "Creating service shop_api", "Creating service shop_kv", "Creating service shop_web",
      ]);
      // Every request is served, but the registry digest look-up (the CLI goes on without a digest).
      const failed = requests.filter((q) => !/ (200|201|204)$/.test(q));
      expect(failed.every((q) => q.startsWith("GET /distribution/swarm-busybox:latest/json "))).toBe(true);
      expect(new Set(requests.map((q) => q.replace(/\/distribution\/.*\/json/, "/distribution/IMAGE/json").replace(/ \d+$/, "")))).toEqual(new Set([
        "HEAD /_ping", "GET /info", "GET /networks", "POST /networks/create", "GET /services", "GET /distribution/IMAGE/json", "POST /services/create",
      ]));
      // The services, their labels and specs are those of swarm stack deploy.
      const want = swarmSpecs(compose);
      const have = stackServices("shop");
      expect(have.map((s) => s.Spec.Name)).toEqual(["shop_api", "shop_kv", "shop_web"]);
      for (const s of have) expect(s.Spec).toEqual(withAllocatedPorts(want[s.Spec.Name]!, s.Spec));
      expect(have[2]!.Spec.EndpointSpec.Ports[0]!.PublishedPort).toBeGreaterThan(0);
      expect(have[0]!.Spec.Labels).toEqual({ app: "shop", "com.docker.stack.image": "swarm-busybox", "com.docker.stack.namespace": "shop" });
      expect(have[0]!.Spec.TaskTemplate.ContainerSpec.Labels).toEqual({ tier: "backend", "com.docker.stack.namespace": "shop" });
      // The agent's log has what was accepted without effect.
      expect(notes).toContain("network shop_default is a name only: swarm has no overlay networks, services reach each other through their published ports");
      // The health check and update_config are translated (as swarm stack deploy maps them): no note.
      expect(notes.join("\n")).not.toContain("healthcheck");
      await waitUntil("the stack's tasks run", () => have.every((s) => runningTasks(s).length === (s.Spec.Mode as { Replicated: { Replicas: number } }).Replicated.Replicas), 15_000);
    }, 60_000);

    test("stack ls, services, ps", async () => {
      const ls = (await d(["stack", "ls"])).trim().split("\n");
      expect(ls[0]).toMatch(/^NAME\s+SERVICES/);
      expect(ls.slice(1)).toHaveLength(1);
      expect(ls[1]).toMatch(/^shop\s+3(\s+Swarm)?$/);
      const services = (await d(["stack", "services", "shop"])).trim().split("\n");
      expect(services[0]).toMatch(/^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS$/);
      expect(services.slice(1).map((l) => l.split(/\s+/).slice(1, 5))).toEqual([
        ["shop_api", "replicated", "2/2", "swarm-busybox:latest"],
        ["shop_kv", "replicated", "1/1", "swarm-busybox:latest"],
        ["shop_web", "replicated", "1/1", "swarm-busybox:latest"],
      ]);
      expect(services[3]).toMatch(/\*:\d+->8080\/tcp$/);
      const ps = (await d(["stack", "ps", "shop", "--format", "{{.Name}} {{.Node}} {{.DesiredState}}"])).trim().split("\n").sort();
      expect(ps.map((l) => l.replace(/ m[123] /, " NODE "))).toEqual(["shop_api.1 NODE Running", "shop_api.2 NODE Running", "shop_kv.1 NODE Running", "shop_web.1 NODE Running"]);
      expect(await d(["stack", "services", "-q", "nosuch"])).toBe("");
    });

    test("a redeploy of the same file updates every service (as Docker does) and replaces no task", async () => {
      const before = stackServices("shop");
      const tasks = new Set(Object.values(c.state().tasks).map((t) => t.ID));
      const r = await docker(cli!, sock, ["stack", "deploy", "-c", join(dir, "compose.yml"), "shop"]);
      expect(r.code).toBe(0);
      expect(lines(r.stdout, "Creating", "Updating")).toEqual(before.map((s) => `Updating service ${s.Spec.Name} (id: ${s.ID})`));
      // Updates print their Warnings: the named network the services are not attached to.
      expect(r.stderr).toContain("service shop_kv: not attached to network shop_back: swarm has no overlay networks");
      const after = stackServices("shop");
      for (const [i, s] of after.entries()) {
        expect(s.Spec).toEqual(before[i]!.Spec);
        expect(s.Version.Index).toBeGreaterThan(before[i]!.Version.Index);
      }
      expect(Object.values(c.state().tasks).every((t) => tasks.has(t.ID))).toBe(true);
    }, 60_000);

    test("one change (through the environment) replaces only that service's tasks", async () => {
      const kvWeb = stackServices("shop").filter((s) => s.Spec.Name !== "shop_api").flatMap(runningTasks).map((t) => t.ID).sort();
      const args = ["stack", "deploy", ...(major >= 26 ? ["--detach=false"] : []), "-c", join(dir, "compose.yml"), "shop"];
      const r = await docker(cli!, sock, args, 90_000, { LOG_LEVEL: "debug" });
      expect(r.code).toBe(0);
      if (major >= 26) expect(r.stdout).toMatch(/verify: Service \S+ converged/);
      const api = stackServices("shop").find((s) => s.Spec.Name === "shop_api")!;
      expect(api.Spec).toEqual(withAllocatedPorts(swarmSpecs(compose, { LOG_LEVEL: "debug" }).shop_api!, api.Spec));
      await waitUntil("the api runs the new spec", () => {
        const run = runningTasks(api);
        return run.length === 2 && run.every((t) => t.Spec.ContainerSpec.Env!.includes("LOG_LEVEL=debug"));
      }, 20_000);
      expect(stackServices("shop").filter((s) => s.Spec.Name !== "shop_api").flatMap(runningTasks).map((t) => t.ID).sort()).toEqual(kvWeb);
    }, 120_000);

    test("--prune removes the services no longer in the file", async () => {
      const noKv = file("no-kv.yml", compose.replace(/ {2}kv:[\s\S]*?manager\]\}\n/, "").replace(/\nvolumes:\n {2}kvdata:\n/, "\n"));
      expect(noKv).toBeTruthy();
      const r = await docker(cli!, sock, ["stack", "deploy", "--prune", "-c", noKv, "shop"], 60_000, { LOG_LEVEL: "debug" });
      expect(r.stderr).not.toContain("Error");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Removing service shop_kv");
      expect(stackServices("shop").map((s) => s.Spec.Name)).toEqual(["shop_api", "shop_web"]);
    }, 60_000);

    test("stack rm removes the services and the networks; nothing is left", async () => {
      const ids = new Set(stackServices("shop").map((s) => s.ID));
      const stackTasks = () => Object.values(c.state().tasks).filter((t) => ids.has(t.ServiceID));
      expect(stackTasks().length).toBeGreaterThan(0);
      // The current CLI's --detach=false returns once the stack's tasks have stopped (it lists them by
      // label, tasks outliving their service included: stack-translate.test.ts).
      const r = await docker(cli!, sock, ["stack", "rm", ...(major >= 26 ? ["--detach=false"] : []), "shop"]);
      expect(r.code).toBe(0);
      expect(lines(r.stdout, "Removing")).toEqual(["Removing network shop_back", "Removing network shop_default", "Removing service shop_api", "Removing service shop_web"]);
      expect(stackServices("shop")).toEqual([]);
      if (major >= 26) expect(stackTasks().filter((t) => !isTerminal(t.Status.State))).toEqual([]);
      await waitUntil("the stack's tasks gone", () => Object.values(c.state().tasks).every((t) => t.DesiredState !== "running"), 15_000);
      expect(await d(["network", "ls", "-q"])).toBe("");
      expect((await d(["stack", "ls"])).trim().split("\n")).toHaveLength(1);
      const again = await docker(cli!, sock, ["stack", "rm", "shop"]);
      expect(again.stderr).toBe("Nothing found in stack: shop\n");
      const ps = await docker(cli!, sock, ["stack", "ps", "shop"]);
      expect(ps.stderr.toLowerCase()).toContain("nothing found in stack: shop");
    }, 60_000);

    test("Docker's host networking in a stack (an external network named host): the same service as swarm's deploy", async () => {
      const text = `version: "3.8"\nservices:\n  edge:\n    image: swarm-busybox\n    command: [sleep, "1000"]\n    networks: [outside]\nnetworks:\n  outside:\n    external: true\n    name: host\n`;
      const r = await docker(cli!, sock, ["stack", "deploy", "-c", file("host.yml", text), "hn"]);
      expect(r.code).toBe(0);
      expect(lines(r.stdout, "Creating")).toEqual(["Creating service hn_edge"]);
      const loaded = loadStack("hn", { files: [{ path: "host.yml", text }], env: {}, projectDir: dir, readFile: () => undefined });
      expect(loaded.warnings).toEqual([]);
      const [svc] = stackServices("hn");
      expect(svc!.Spec).toEqual(parseServiceSpec(loaded.services[0]!.spec));
      expect(svc!.Spec.TaskTemplate.Networks).toEqual([{ Target: "host" }]);
      expect(await d(["stack", "rm", "hn"])).toBe("Removing service hn_edge\n");
    });

    test("through a follower manager: the same services; its network names stay with it (rm through the leader leaves them)", async () => {
      const follower = c.nodes.find((n) => n !== c.leader() && n.up)!;
      const f = join(dir, "compose.yml");
      const r = await docker(cli!, sockOf[follower.name]!, ["stack", "deploy", "-c", f, "shop"]);
      expect(r.code).toBe(0);
      expect(stackServices("shop").map((s) => s.Spec.Name)).toEqual(["shop_api", "shop_kv", "shop_web"]);
      const want = swarmSpecs(compose);
      for (const s of stackServices("shop")) expect(s.Spec).toEqual(withAllocatedPorts(want[s.Spec.Name]!, s.Spec));
      // The leader has no network names of this stack: its rm removes the services only.
      expect(lines(await d(["stack", "rm", "shop"]), "Removing")).toEqual(["Removing service shop_api", "Removing service shop_kv", "Removing service shop_web"]);
      expect(stackServices("shop")).toEqual([]);
      // The follower still lists them; its rm removes the names.
      expect(lines(await dockerOk(cli!, sockOf[follower.name]!, ["stack", "rm", "shop"]), "Removing")).toEqual(["Removing network shop_back", "Removing network shop_default"]);
    }, 60_000);

    test("the cluster's secrets and configs are listed and inspected (a secret's data never); docker secret rm and stack rm remove them", async () => {
      const leader = c.leader()!;
      const label = `v${major}`;
      await leader.api.createFile("secret", `db_pw_${label}`, new TextEncoder().encode("s3cret"), { "com.docker.stack.namespace": `st${label}` });
      await leader.api.createFile("secret", `other_${label}`, new TextEncoder().encode("x"), {});
      await leader.api.createFile("config", `app_conf_${label}`, new TextEncoder().encode("a=1"), {});
      expect(await d(["secret", "ls", "--format", "{{.Name}}", "--filter", `name=db_pw_${label}`])).toBe(`db_pw_${label}\n`);
      const inspected = JSON.parse(await d(["secret", "inspect", `db_pw_${label}`]))[0];
      expect(inspected.Spec).toEqual({ Name: `db_pw_${label}`, Labels: { "com.docker.stack.namespace": `st${label}` } });
      expect(JSON.stringify(inspected)).not.toContain(Buffer.from("s3cret").toString("base64"));
      expect(JSON.parse(await d(["config", "inspect", `app_conf_${label}`]))[0].Spec.Data).toBe(Buffer.from("a=1").toString("base64"));
      expect(await d(["secret", "rm", `other_${label}`])).toBe(`other_${label}\n`);
      // A stack whose label a secret carries: `docker stack rm` removes it.
      const stackRm = await docker(cli!, sock, ["stack", "rm", `st${label}`]);
      expect(stackRm.stdout).toContain(`Removing secret db_pw_${label}`);
      expect(stackRm.stderr).toBe("");
      expect(Object.values(c.state().secrets ?? {}).map((x) => x.Spec.Name).filter((n) => n.endsWith(label))).toEqual([]);
      expect(await d(["config", "rm", `app_conf_${label}`])).toBe(`app_conf_${label}\n`);
    });

    test("a stack with a secret: created as <stack>_<key> before the service, sent back unchanged on a redeploy, removed by stack rm; a network outside a stack is refused", async () => {
      writeFileSync(join(dir, "pw.txt"), "s3cret");
      const f = file("secret.yml", `version: "3.8"\nservices:\n  db:\n    image: swarm-busybox\n    secrets: [pw]\nsecrets:\n  pw:\n    file: ./pw.txt\n`);
      const r = await docker(cli!, sock, ["stack", "deploy", "-c", f, "sec"]);
      expect(r.stderr).not.toContain("Error");
      expect(r.code).toBe(0);
      expect(lines(r.stdout, "Creating")).toEqual(["Creating network sec_default", "Creating secret sec_pw", "Creating service sec_db"]);
      const secret = Object.values(c.state().secrets ?? {}).find((x) => x.Spec.Name === "sec_pw")!;
      expect(secret.Spec.Labels).toEqual({ "com.docker.stack.namespace": "sec" });
      const [svc] = stackServices("sec");
      expect(svc!.Spec.TaskTemplate.ContainerSpec.Secrets).toEqual([{ File: { Name: "pw", UID: "0", GID: "0", Mode: 0o444 }, SecretID: secret.ID, SecretName: "sec_pw" }]);
      // The same reference swarm stack deploy makes (by name; the manager fills in the ID).
      const mine = loadStack("sec", { files: [{ path: f, text: readFileSync(f, "utf8") }], env: {}, projectDir: dir, readFile: () => undefined });
      expect(mine.services[0]!.spec.TaskTemplate.ContainerSpec.Secrets).toEqual([{ File: { Name: "pw", UID: "0", GID: "0", Mode: 0o444 }, SecretID: "", SecretName: "sec_pw" }]);
      // A redeploy sends the existing secret back (POST /secrets/ID/update): accepted, nothing changes.
      const again = await docker(cli!, sock, ["stack", "deploy", "-c", f, "sec"]);
      expect(again.stderr).not.toContain("Error");
      expect(again.code).toBe(0);
      // Changed data is refused, as Docker refuses it.
      writeFileSync(join(dir, "pw.txt"), "changed");
      const changed = await docker(cli!, sock, ["stack", "deploy", "-c", f, "sec"]);
      expect(changed.code).toBe(1);
      expect(changed.stderr).toContain("only updates to Labels are allowed");
      expect(lines(await d(["stack", "rm", "sec"]), "Removing")).toEqual(["Removing network sec_default", "Removing secret sec_pw", "Removing service sec_db"]);
      expect(Object.values(c.state().secrets ?? {}).some((x) => x.Spec.Name === "sec_pw")).toBe(false);
      const net = await docker(cli!, sock, ["network", "create", "-d", "overlay", "mynet"]);
      expect(net.code).toBe(1);
      expect(net.stderr).toContain("swarm has no networks: services reach each other through their published ports");
      const ext = file("external.yml", `version: "3.8"\nservices:\n  a:\n    image: swarm-busybox\n    networks: [proxy]\nnetworks:\n  proxy:\n    external: true\n`);
      const e = await docker(cli!, sock, ["stack", "deploy", "-c", ext, "ext"]);
      expect(e.code).toBe(1);
      expect(e.stderr).toContain(`network "proxy" is declared as external, but could not be found`);
    }, 60_000);
  });
}
