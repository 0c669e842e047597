import { afterAll, beforeAll, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerBackend, serveUnix } from "../../internal/daemon/index.ts";
import { createDockerApiHandler } from "../../internal/dockerapi/index.ts";
import { TestCluster } from "../cluster/harness.ts";
import { currentDockerCli, debianDockerCli, docker } from "./docker-cli.ts";

let c: TestCluster;
const dir = mkdtempSync(join(tmpdir(), "dstack-capture-"));
let server: { stop(force?: boolean): void };
const sock = join(dir, "d.sock");
const log: string[] = [];

beforeAll(async () => {
  c = await TestCluster.start(1501, 1, 0);
  const h = createDockerApiHandler(dockerBackend(c.nodes[0]!.api), { onInternalError: (e) => console.error(e) });
  server = await serveUnix(sock, async (req) => {
    const body = req.method === "POST" ? await req.clone().text() : "";
    const u0 = new URL(req.url);
    const stub = false;
    const res = !stub ? await h(req)
      : req.method === "GET" && /(networks|secrets|configs)$/.test(u0.pathname) ? Response.json([])
      : req.method === "GET" ? Response.json({ message: "not found" }, { status: 404 })
      : req.method === "DELETE" ? new Response(null, { status: 204 })
      : Response.json({ ID: "abc", Id: "abc" }, { status: 201 });
    const u = new URL(req.url);
    if (req.method === "POST") log.push(`${req.method} ${u.pathname}${decodeURIComponent(u.search)} -> ${res.status} ${body}`);
    return res;
  });
}, 60_000);
afterAll(async () => {
  server.stop(true);
  await c.close();
  rmSync(dir, { recursive: true, force: true });
});

const COMPOSE = `
version: "3.8"
services:
  web:
    image: swarm-busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/tmp"]
    ports: ["8080"]
    environment:
      API_URL: http://shop_api:9000
    healthcheck: {test: ["CMD", "true"], interval: 5s}
    deploy:
      update_config: {parallelism: 2, delay: 10s}
  api:
    image: swarm-busybox
    command: sh -c 'while true; do sleep 1; done'
    environment: [KV_ADDR=shop_kv:6379, "LOG_LEVEL=\${LOG_LEVEL:-info}"]
    stop_grace_period: 2s
    labels: [tier=backend]
    networks: [back, default]
    deploy: {replicas: 2, labels: [app=shop], resources: {limits: {cpus: "0.5", memory: 64M}}}
  kv:
    image: swarm-busybox
    command: [sleep, "100000"]
    volumes: ["kvdata:/data", "./conf:/conf:ro"]
    networks: [back]
    deploy:
      restart_policy: {condition: on-failure, delay: 1s}
      placement: {constraints: [node.role == manager]}
networks:
  back:
volumes:
  kvdata:
`;

for (const cli of [debianDockerCli(), currentDockerCli()]) {
  test(`capture ${cli?.version}`, async () => {
    const f = join(dir, "c.yml");
    writeFileSync(f, COMPOSE);
    writeFileSync(join(dir, "pw.txt"), "x");
    for (const args of [["stack", "deploy", "-c", f, "cap"], ["stack", "ls"], ["stack", "services", "cap"], ["stack", "ps", "cap"], ["stack", "rm", "cap"]]) {
      log.length = 0;
      const r = await docker(cli!, sock, args);
      console.log(`==== ${cli!.version} docker ${args.join(" ")} -> ${r.code}\n${r.stdout}${r.stderr}\n${log.join("\n")}\n`);
    }
  }, 60_000);
}
