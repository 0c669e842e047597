/**
 * `docker stack deploy` of the stock Docker CLIs against the compiled swarm binary's Docker-compatible
 * socket, on a one-node cluster over a private dockerd (real containers), side by side with
 * `swarm stack deploy` of the same compose file: the same services (specs, labels), the same
 * `stack services` table, each deploy accepting the other's services as up to date; `docker stack rm`
 * leaves no service, container or network.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOneNode, type OneNode } from "../cli/fixture.ts";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { currentDockerCli, debianDockerCli, docker, dockerOk, type DockerCli } from "./docker-cli.ts";
import { SHOP } from "./stack-fixture.ts";

const skip = skipUnlessDocker("docker stack deploy against the swarm binary");
const debian = debianDockerCli();
const current = currentDockerCli();
if (!current) console.warn("SKIPPED: no current Docker CLI besides Debian's docker.io on PATH; only Debian's CLI is tested");
const clis = [debian, current].filter((x): x is DockerCli => x !== undefined);

describe.skipIf(skip)("docker stack deploy and swarm stack deploy of one file, on the swarm binary", () => {
  let n: OneNode;
  let sock: string;
  let dir: string;
  let compose: string;

  beforeAll(async () => {
    if (!debian) throw new Error("Debian's docker.io CLI (/usr/bin/docker) is missing: run scripts/install-deps");
    const prev = process.env.SWARM_WEB;
    process.env.SWARM_WEB = "127.0.0.1:0";
    try {
      n = await startOneNode("dstack-bin");
    } finally {
      if (prev === undefined) delete process.env.SWARM_WEB;
      else process.env.SWARM_WEB = prev;
    }
    sock = JSON.parse(await n.ok(["info", "--format", "json"])).DockerApi.slice("unix://".length);
    dir = mkdtempSync(join(tmpdir(), "dstack-compose-"));
    mkdirSync(join(dir, "conf"));
    compose = join(dir, "compose.yml");
    writeFileSync(compose, SHOP(n.image));
  }, 180_000);
  afterAll(async () => {
    await n?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const services = async (stack: string) =>
    (await n.ok(["stack", "services", "--format", "json", stack])).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const converged = (stack: string) =>
    waitUntil(`stack ${stack}'s services all running`, async () => {
      const s = await services(stack);
      return s.length === 3 && s.every((x: any) => x.Replicas === (x.Name.endsWith("_api") ? "2/2" : "1/1")) && s;
    }, 90_000, 250);
  /** The stack's specs by service key, with the stack's name and the allocated ports taken out. */
  const specs = async (stack: string) => {
    const out: Record<string, unknown> = {};
    for (const key of ["api", "kv", "web"]) {
      const spec = JSON.parse(await n.ok(["service", "inspect", `${stack}_${key}`]))[0].Spec;
      for (const p of spec.EndpointSpec?.Ports ?? []) p.PublishedPort = 0;
      out[key] = JSON.parse(JSON.stringify(spec).replaceAll(`"${stack}_`, `"STACK_`).replaceAll(`"com.docker.stack.namespace":"${stack}"`, `"com.docker.stack.namespace":"STACK"`));
    }
    return out;
  };
  /** Running containers of the stack (the engine's view), by ID. */
  const containers = async (stack: string) =>
    (await n.containers(false)).filter((c) => c.Labels["com.docker.stack.namespace"] === stack && c.State === "running").map((c: any) => c.Id as string).sort();

  test("swarm stack deploy makes the reference stack", async () => {
    const r = await n.run(["stack", "deploy", "-c", compose, "shop"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Creating service shop_api\nCreating service shop_kv\nCreating service shop_web\n");
    await converged("shop");
    await waitUntil("4 containers", async () => (await containers("shop")).length === 4, 30_000, 250);
  }, 120_000);

  for (const cli of clis) {
    const tag = `d${cli.version.split(".")[0]}`;
    const d = (args: string[]) => dockerOk(cli, sock, args, 120_000);

    test(`docker ${cli.version}: deploying over swarm's stack updates each service to the same spec; no container is replaced; swarm then finds it up to date`, async () => {
      const before = await specs("shop");
      const ids = await containers("shop");
      const r = await docker(cli, sock, ["stack", "deploy", "-c", compose, "shop"], 120_000);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n").filter((l) => l.startsWith("Updating")).map((l) => l.replace(/ \(id: \w+\)/, "")).sort())
        .toEqual(["Updating service shop_api", "Updating service shop_kv", "Updating service shop_web"]);
      expect(await specs("shop")).toEqual(before);
      const again = await n.run(["stack", "deploy", "-c", compose, "shop"]);
      expect(again.stdout).toBe("Service shop_api is up to date\nService shop_kv is up to date\nService shop_web is up to date\n");
      // The specs are equal, so no task is outdated: the same containers, and no task history.
      expect(await containers("shop")).toEqual(ids);
      expect((await n.ok(["stack", "ps", "-q", "shop"])).trim().split("\n")).toHaveLength(4);
    }, 120_000);

    test(`docker ${cli.version}: a fresh stack deploy gives swarm's services and containers; the two CLIs print the same stack tables`, async () => {
      const r = await docker(cli, sock, ["stack", "deploy", "-c", compose, tag], 120_000);
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n").filter((l) => l.startsWith("Creating")).sort()).toEqual([
        `Creating network ${tag}_back`, `Creating network ${tag}_default`, `Creating service ${tag}_api`, `Creating service ${tag}_kv`, `Creating service ${tag}_web`,
      ]);
      await converged(tag);
      expect(await specs(tag)).toEqual(await specs("shop"));
      await waitUntil(`4 containers of ${tag}`, async () => (await containers(tag)).length === 4, 30_000, 250);
      const c = (await n.containers(false)).find((x) => x.Labels["com.docker.stack.namespace"] === tag && x.Labels["com.swarm.service.name"] === `${tag}_api`)!;
      expect(c.Labels.tier).toBe("backend");
      expect((await n.dockerd.docker.listVolumes()).Volumes.map((v) => v.Name)).toContain(`${tag}_kvdata`);
      // `docker stack services` and `swarm stack services` print the same table.
      expect(await d(["stack", "services", tag])).toBe(await n.ok(["stack", "services", tag]));
      expect((await d(["stack", "ls"])).split("\n").some((l) => new RegExp(`^${tag}\\s+3\\b`).test(l))).toBe(true);
      const fmt = "{{.Name}} {{.Image}} {{.Node}} {{.DesiredState}}";
      const ps = (await d(["stack", "ps", tag, "--format", fmt])).trim().split("\n").sort();
      expect(ps).toEqual((await n.ok(["stack", "ps", tag, "--format", fmt])).trim().split("\n").sort());
      expect(ps.map((l) => l.split(" ")[0])).toEqual([`${tag}_api.1`, `${tag}_api.2`, `${tag}_kv.1`, `${tag}_web.1`]);
    }, 180_000);

    test(`docker ${cli.version}: stack rm leaves no service, container or network`, async () => {
      const r = await d(["stack", "rm", tag]);
      expect(r.split("\n").filter(Boolean).sort()).toEqual([
        `Removing network ${tag}_back`, `Removing network ${tag}_default`, `Removing service ${tag}_api`, `Removing service ${tag}_kv`, `Removing service ${tag}_web`,
      ]);
      expect((await n.run(["stack", "services", tag])).stderr).toBe(`Nothing found in stack: ${tag}\n`);
      await waitUntil(`no container of ${tag}`, async () => (await n.containers(true)).every((c) => c.Labels["com.docker.stack.namespace"] !== tag), 60_000, 250);
      expect((await d(["network", "ls", "--format", "{{.Name}}"])).split("\n")).not.toContain(`${tag}_default`);
    }, 120_000);
  }

  test("docker stack rm of swarm's stack removes it, and the networks the docker deploys named", async () => {
    const r = await dockerOk(debian!, sock, ["stack", "rm", "shop"]);
    expect(r).toContain("Removing service shop_api\n");
    expect(r).toContain("Removing network shop_default\n");
    expect(await n.ok(["stack", "ls"])).toBe("NAME      SERVICES\n");
    expect(await dockerOk(debian!, sock, ["network", "ls", "-q"])).toBe("");
    await waitUntil("no stack container left", async () => (await n.containers(true)).every((c) => c.Labels["com.docker.stack.namespace"] === undefined), 60_000, 250);
  }, 120_000);
});
