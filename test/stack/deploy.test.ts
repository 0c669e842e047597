/**
 * Stacks on a real one-node cluster (compiled binary, private dockerd, busybox stand-ins): a web
 * front + API + key-value store with an override file; a redeploy with one change updates only that
 * service; --prune; a bad file deploys nothing; Docker's voting-app shape; secrets, configs and a
 * health check (issue 14); stack rm.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";

const skip = skipUnlessDocker("stack deploy scenario tests");

const SHOP = (image: string) => `
services:
  web:
    image: ${image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/tmp"]
    ports: ["8080"]
    environment:
      API_URL: http://shop_api:9000
  api:
    image: ${image}
    command: sh -c 'while true; do sleep 1; done'
    environment:
      - KV_ADDR=shop_kv:6379
      - LOG_LEVEL=\${LOG_LEVEL:-info}
    stop_grace_period: 2s
  kv:
    image: ${image}
    command: [sleep, "100000"]
    volumes: ["kvdata:/data"]
    deploy:
      restart_policy: {condition: on-failure, delay: 1s}
volumes:
  kvdata:
`;

const OVERRIDE = `
services:
  api:
    deploy:
      replicas: 2
    labels: [tier=backend]
`;

describe.skipIf(skip)("swarm stack on a one-node cluster", () => {
  let n: OneNode;
  let dir: string;
  beforeAll(async () => {
    n = await startOneNode("stacks-e2e");
    dir = mkdtempSync(join(tmpdir(), "stacks-compose-"));
  }, 120_000);
  afterAll(async () => {
    await n?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const services = async (stack: string) =>
    (await n.ok(["stack", "services", "--format", "json", stack])).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const converged = (stack: string, count: number) =>
    waitUntil(`stack ${stack} has ${count} services, all running`, async () => {
      const s = await services(stack);
      return s.length === count && s.every((x: any) => x.Replicas.split("/")[0] === x.Replicas.split("/")[1]) && s;
    }, 60_000, 200);
  const inspect = async (name: string) => JSON.parse(await n.ok(["service", "inspect", name]))[0];
  const names = async (kind: "secret" | "config") =>
    (await n.ok([kind, "ls", "--format", "json"])).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).Name as string);

  test("deploy with an override; ls, services, ps; labels on services and containers", async () => {
    const base = file("compose.yml", SHOP(n.image));
    const over = file("override.yml", OVERRIDE);
    const r = await n.run(["stack", "deploy", "-c", base, "-c", over, "shop"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Creating service shop_api\nCreating service shop_kv\nCreating service shop_web\n");
    const svcs = await converged("shop", 3);
    expect(svcs.map((s: any) => [s.Name, s.Replicas])).toEqual([["shop_api", "2/2"], ["shop_kv", "1/1"], ["shop_web", "1/1"]]);
    expect(await n.ok(["stack", "ls"])).toBe("NAME      SERVICES\nshop      3\n");
    const table = await n.ok(["stack", "services", "shop"]);
    expect(table.split("\n")[0]).toMatch(/^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS$/);
    expect(table).toMatch(/shop_web\s+replicated\s+1\/1\s+\S+\s+\*:\d+->8080\/tcp/);
    const ps = await n.ok(["stack", "ps", "shop"]);
    for (const t of ["shop_api.1", "shop_api.2", "shop_kv.1", "shop_web.1"]) expect(ps).toContain(t);

    const api = await inspect("shop_api");
    expect(api.Spec.Labels).toEqual({ "com.docker.stack.namespace": "shop", "com.docker.stack.image": n.image });
    expect(api.Spec.TaskTemplate.ContainerSpec.Labels).toEqual({ tier: "backend", "com.docker.stack.namespace": "shop" });
    expect(api.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["KV_ADDR=shop_kv:6379", "LOG_LEVEL=info"]);
    const containers = await n.containers(false);
    const mine = containers.filter((c) => c.Labels["com.docker.stack.namespace"] === "shop");
    expect(mine.length).toBe(4);
    // The named volume is scoped to the stack, as Docker's CLI scopes it.
    const vols = await n.dockerd.docker.listVolumes();
    expect(vols.Volumes.map((v) => v.Name)).toContain("shop_kvdata");
  }, 120_000);

  test("a redeploy of the same files changes nothing; one change updates only that service", async () => {
    const base = join(dir, "compose.yml");
    const over = join(dir, "override.yml");
    const before = Object.fromEntries(await Promise.all(["shop_api", "shop_kv", "shop_web"].map(async (s) => [s, (await inspect(s)).Version.Index])));
    const same = await n.run(["stack", "deploy", "-c", base, "-c", over, "shop"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe("Service shop_api is up to date\nService shop_kv is up to date\nService shop_web is up to date\n");
    for (const [s, v] of Object.entries(before)) expect((await inspect(s)).Version.Index).toBe(v);

    // One change, through the environment: LOG_LEVEL of the api only.
    const r = await n.run(["stack", "deploy", "-c", base, "-c", over, "shop"], { env: { LOG_LEVEL: "debug" } });
    expect(r.code).toBe(0);
    const apiId = (await inspect("shop_api")).ID;
    expect(r.stdout).toBe(`Updating service shop_api (id: ${apiId})\nService shop_kv is up to date\nService shop_web is up to date\n`);
    const after = await inspect("shop_api");
    expect(after.Version.Index).toBeGreaterThan(before.shop_api);
    expect(after.Spec.TaskTemplate.ContainerSpec.Env).toEqual(["KV_ADDR=shop_kv:6379", "LOG_LEVEL=debug"]);
    expect((await inspect("shop_kv")).Version.Index).toBe(before.shop_kv);
    expect((await inspect("shop_web")).Version.Index).toBe(before.shop_web);
    // The update rolled through the normal path: the api's tasks are replaced, the others untouched.
    await waitUntil("the api runs the new spec", async () => {
      const tasks = (await n.ok(["service", "ps", "--format", "json", "shop_api"])).trim().split("\n").map((l) => JSON.parse(l));
      return tasks.filter((t: any) => t.DesiredState === "running" && t.CurrentState === "running").length === 2 && tasks.length === 4;
    }, 60_000, 200);
    const kvTasks = (await n.ok(["service", "ps", "--format", "json", "shop_kv"])).trim().split("\n");
    expect(kvTasks.length).toBe(1);
  }, 120_000);

  test("an invalid file deploys nothing, and says where the problem is", async () => {
    const bad = file("bad.yml", `
services:
  cache:
    image: ${n.image}
  web:
    image: ${n.image}
    deploy:
      replicas: lots
`);
    const r = await n.run(["stack", "deploy", "-c", join(dir, "compose.yml"), "-c", bad, "shop"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`Error: the compose file is invalid; nothing was deployed:\n  ${bad}:8:17: services.web.deploy.replicas: must be an integer, not "lots"\n`);
    expect((await services("shop")).map((s: any) => s.Name)).toEqual(["shop_api", "shop_kv", "shop_web"]);
    const missing = await n.run(["stack", "deploy", "-c", join(dir, "nope.yml"), "shop"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`compose file ${join(dir, "nope.yml")} not found`);
  }, 60_000);

  test("a service dropped from the files keeps running without --prune and is removed with it", async () => {
    const noKv = file("no-kv.yml", SHOP(n.image).replace(/ {2}kv:[\s\S]*?delay: 1s\}\n/, ""));
    const over = join(dir, "override.yml");
    const kept = await n.run(["stack", "deploy", "-c", noKv, "-c", over, "shop"]);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain("Service shop_kv is no longer in the compose files and keeps running (use --prune to remove it)");
    expect((await services("shop")).map((s: any) => s.Name)).toEqual(["shop_api", "shop_kv", "shop_web"]);
    const pruned = await n.run(["stack", "deploy", "--prune", "-c", noKv, "-c", over, "shop"]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toStartWith("Removing service shop_kv\n");
    expect((await services("shop")).map((s: any) => s.Name)).toEqual(["shop_api", "shop_web"]);
  }, 60_000);

  test("Docker's voting-app shape: warnings for what swarm ignores, five services, a scoped volume", async () => {
    const vote = file("voting.yml", `
version: "3.9"
services:
  redis:
    image: ${n.image}
    command: [sleep, "100000"]
    networks: [frontend]
    deploy:
      replicas: 1
      update_config: {parallelism: 2, delay: 10s}
      restart_policy: {condition: on-failure}
  db:
    image: ${n.image}
    command: [sleep, "100000"]
    environment:
      POSTGRES_USER: "postgres"
      POSTGRES_PASSWORD: "postgres"
    volumes: [db-data:/var/lib/postgresql/data]
    networks: [backend]
    deploy:
      placement:
        constraints: [node.role == manager]
  vote:
    image: ${n.image}
    command: ["httpd", "-f", "-p", "80", "-h", "/tmp"]
    ports: ["80"]
    networks: [frontend]
    depends_on: [redis]
    deploy:
      replicas: 2
      update_config: {parallelism: 2}
      restart_policy: {condition: on-failure}
  result:
    image: ${n.image}
    command: ["httpd", "-f", "-p", "80", "-h", "/tmp"]
    ports: ["80"]
    networks: [backend]
    depends_on: [db]
  worker:
    image: ${n.image}
    command: [sleep, "100000"]
    networks: [frontend, backend]
    deploy:
      mode: replicated
      replicas: 1
      labels: [APP=VOTING]
      restart_policy: {condition: on-failure, delay: 10s, max_attempts: 3, window: 120s}
      placement:
        constraints: [node.role == manager]
networks:
  frontend:
  backend:
volumes:
  db-data:
`);
    const r = await n.run(["stack", "deploy", "-c", vote, "vote"]);
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "Ignoring unsupported top-level networks (frontend, backend): this cluster has no overlay networks; services reach each other through their published ports",
      'Ignoring unsupported options for service "redis": networks',
      'Ignoring unsupported options for service "db": networks',
      'Ignoring unsupported options for service "vote": depends_on, networks',
      'Ignoring unsupported options for service "result": depends_on, networks',
      'Ignoring unsupported options for service "worker": networks',
    ]);
    const svcs = await converged("vote", 5);
    expect(svcs.map((s: any) => [s.Name, s.Replicas])).toEqual([["vote_db", "1/1"], ["vote_redis", "1/1"], ["vote_result", "1/1"], ["vote_vote", "2/2"], ["vote_worker", "1/1"]]);
    expect((await inspect("vote_worker")).Spec.Labels.APP).toBe("VOTING");
    expect((await inspect("vote_redis")).Spec.UpdateConfig).toEqual({ Parallelism: 2, Delay: 10e9, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
    expect((await n.dockerd.docker.listVolumes()).Volumes.map((v) => v.Name)).toContain("vote_db-data");
    expect(await n.ok(["stack", "ls"])).toBe("NAME      SERVICES\nshop      2\nvote      5\n");
  }, 120_000);

  test("--detach=false waits until the stack's services converge; a name held outside the stack stops the deploy", async () => {
    const tiny = file("tiny.yml", `services:\n  app:\n    image: ${n.image}\n    command: [sleep, "100000"]\n    deploy: {replicas: 2}\n  side:\n    image: ${n.image}\n    command: [sleep, "100000"]\n`);
    await n.ok(["service", "create", "--detach", "--name", "tiny_side", n.image, "sleep", "100000"]);
    const blocked = await n.run(["stack", "deploy", "-c", tiny, "tiny"]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/^Error: cannot deploy stack tiny; nothing was changed:\n {2}service name tiny_side is taken by a service that is not part of stack tiny \(ID \w{12}\): remove or rename it\n$/);
    expect((await n.run(["stack", "services", "tiny"])).stderr).toBe("Nothing found in stack: tiny\n");
    await n.ok(["service", "rm", "tiny_side"]);

    const r = await n.run(["stack", "deploy", "--detach=false", "-q", "-c", tiny, "tiny"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Creating service tiny_app\nCreating service tiny_side\n");
    // No polling: the deploy returned only once every task ran.
    expect((await services("tiny")).map((s: any) => [s.Name, s.Replicas])).toEqual([["tiny_app", "2/2"], ["tiny_side", "1/1"]]);
    await n.ok(["stack", "rm", "tiny"]);
  }, 90_000);

  test("secrets and configs from files, created as <stack>_<key> before the services, read in the container; a health check gates running", async () => {
    file("db_password.txt", "s3cr3t-pw\n");
    file("app.conf", "mode=prod\n");
    const compose = file("secrets.yml", `
services:
  app:
    image: ${n.image}
    command: ["sh", "-c", "echo \\"pw=$$(cat /run/secrets/db_password) key=$$(cat /run/secrets/keys/api) conf=$$(cat /etc/app.conf) mode=$$(stat -c %a /run/secrets/keys/api)\\"; touch /tmp/ready; sleep 100000"]
    secrets:
      - db_password
      - source: api_key
        target: keys/api
        mode: 0400
    configs:
      - source: app_conf
        target: /etc/app.conf
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready && test -f /run/secrets/db_password"]
      interval: 1s
      timeout: 2s
      retries: 3
    deploy:
      update_config: {parallelism: 1, order: start-first, failure_action: rollback}
secrets:
  db_password:
    file: ./db_password.txt
  api_key:
    external: true
configs:
  app_conf:
    file: ./app.conf
`);
    // An external secret that does not exist: nothing is created.
    const missing = await n.run(["stack", "deploy", "-c", compose, "sec"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("external secret api_key (secrets.api_key) not found");
    expect(await names("secret")).toEqual([]);

    const key = join(dir, "api_key.txt");
    writeFileSync(key, "k3y");
    await n.ok(["secret", "create", "api_key", key]);
    const r = await n.run(["stack", "deploy", "-c", compose, "sec"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Creating config sec_app_conf\nCreating secret sec_db_password\nCreating service sec_app\n");
    expect(await names("secret")).toEqual(["api_key", "sec_db_password"]);
    const secret = JSON.parse(await n.ok(["secret", "inspect", "sec_db_password"]))[0];
    expect(secret.Spec.Labels).toEqual({ "com.docker.stack.namespace": "sec" });

    const app = await inspect("sec_app");
    expect(app.Spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["CMD-SHELL", "test -f /tmp/ready && test -f /run/secrets/db_password"], Interval: 1e9, Timeout: 2e9, Retries: 3 });
    expect(app.Spec.UpdateConfig).toMatchObject({ Parallelism: 1, Order: "start-first", FailureAction: "rollback" });
    expect(app.Spec.TaskTemplate.ContainerSpec.Secrets.map((x: any) => [x.SecretName, x.File.Name, x.File.Mode])).toEqual([["sec_db_password", "db_password", 0o444], ["api_key", "keys/api", 0o400]]);

    // Running only once healthy; the container's engine health check says so too.
    await converged("sec", 1);
    await waitUntil("the container is healthy", async () => {
      const c = (await n.containers(false)).find((x) => x.Labels["com.docker.stack.namespace"] === "sec");
      if (!c) return false;
      const info = await n.dockerd.docker.getContainer((c as unknown as { Id: string }).Id).inspect();
      return info.State.Health?.Status === "healthy";
    }, 60_000, 200);
    await waitUntil("the app printed what it read", async () => {
      const logs = await n.run(["service", "logs", "--raw", "sec_app"]);
      return logs.stdout.includes("pw=s3cr3t-pw key=k3y conf=mode=prod mode=400") && logs;
    }, 30_000, 200);

    // A redeploy of the same files changes nothing (the references resolve to the same IDs).
    const same = await n.run(["stack", "deploy", "-c", compose, "sec"]);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe("Service sec_app is up to date\n");

    // stack rm removes the stack's secret and config, not the external one.
    const rm = await n.run(["stack", "rm", "sec"]);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe("Removing service sec_app\nRemoving secret sec_db_password\nRemoving config sec_app_conf\n");
    expect(await names("secret")).toEqual(["api_key"]);
    expect(await names("config")).toEqual([]);
    await n.ok(["secret", "rm", "api_key"]);
  }, 120_000);

  test("stack rm removes every service of the stack and only those", async () => {
    const r = await n.run(["stack", "rm", "vote", "nosuch"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Removing service vote_db\nRemoving service vote_redis\nRemoving service vote_result\nRemoving service vote_vote\nRemoving service vote_worker\n");
    expect(r.stderr).toBe("Nothing found in stack: nosuch\n");
    expect(await n.ok(["stack", "ls"])).toBe("NAME      SERVICES\nshop      2\n");
    await waitUntil("the voting app's containers are gone", async () => (await n.containers(true)).every((c) => c.Labels["com.docker.stack.namespace"] !== "vote"), 60_000, 200);
    await n.ok(["stack", "rm", "shop"]);
    expect(await n.ok(["stack", "ls"])).toBe("NAME      SERVICES\n");
    const ps = await n.run(["stack", "ps", "shop"]);
    expect(ps.stderr).toBe("Nothing found in stack: shop\n");
  }, 90_000);
});
