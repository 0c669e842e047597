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
    log.push(`${req.method} ${u.pathname}${decodeURIComponent(u.search)} -> ${res.status} ${body}`);
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
    command: ["httpd", "-f", "-p", "8080"]
    ports: ["8080"]
    environment: {A: "1"}
  api:
    image: swarm-busybox
    command: sh -c 'sleep 1000'
    volumes: ["kvdata:/data", "./x:/x:ro"]
    deploy: {replicas: 2, labels: [tier=api]}
  kv:
    image: swarm-busybox
    networks: [back]
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
    for (const args of [["stack", "deploy", "-c", f, "cap"], ["stack", "deploy", "-c", f, "cap"], ["stack", "ls"], ["stack", "services", "cap"], ["stack", "ps", "cap"], ["stack", "rm", "cap"]]) {
      log.length = 0;
      const r = await docker(cli!, sock, args);
      console.log(`==== ${cli!.version} docker ${args.join(" ")} -> ${r.code}\n${r.stdout}${r.stderr}\n${log.join("\n")}\n`);
    }
  }, 60_000);
}
