/**
 * swarm's `--format` against Docker's own, on the same cluster: the Docker CLI (Go's text/template and
 * Docker's formatter) reads the cluster through the Docker-compatible API; swarm's template engine and
 * rows (internal/cli) read the same objects. Same template, same bytes — tables included.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeView } from "../../internal/api/index.ts";
import { NODE_FORMAT, nodeRow, renderEach, renderRows, SERVICE_FORMAT, serviceRow } from "../../internal/cli/index.ts";
import { dockerBackend, serveUnix } from "../../internal/daemon/index.ts";
import { createDockerApiHandler, dockerService } from "../../internal/dockerapi/index.ts";
import { replicated, TestCluster } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { debianDockerCli, dockerOk } from "./docker-cli.ts";

const cli = debianDockerCli();
let c: TestCluster;
let server: { stop(force?: boolean): void };
const dir = mkdtempSync(join(tmpdir(), "swarm-format-"));
const sock = join(dir, "docker.sock");

beforeAll(async () => {
  if (!cli) throw new Error("Debian's docker.io CLI (/usr/bin/docker) is missing: run scripts/install-deps");
  c = await TestCluster.start(1304, 1, 2);
  server = await serveUnix(sock, createDockerApiHandler(dockerBackend(c.nodes[0]!.api)));
  const web = replicated("web", 3);
  await c.createService({ ...web, Labels: { tier: "front", team: "a" }, EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] } });
  await c.createService({ ...replicated("a-much-longer-service-name", 1), Mode: { Global: {} } });
  await waitUntil("every task running", () => {
    const ts = Object.values(c.state().tasks);
    return ts.length === 6 && ts.every((t) => t.Status.State === "running");
  }, 15_000);
}, 60_000);

afterAll(async () => {
  server?.stop(true);
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

const api = () => c.nodes[0]!.api;

test.each([
  "table {{.ID}}\\t{{.Name}}\\t{{.Mode}}\\t{{.Replicas}}\\t{{.Image}}\\t{{.Ports}}",
  "table {{.Name}}\\t{{.Replicas}}",
  "{{.Name}} {{.Mode}} {{.Replicas}} {{.Ports}}",
  "{{json .}}",
  "table {{.Name | upper}}\\t{{.Image}}",
])("service ls --format %s", async (format) => {
  const docker = await dockerOk(cli!, sock, ["service", "ls", "--format", format]);
  const views = (await api().services()).sort((a, b) => a.Service.Spec.Name.localeCompare(b.Service.Spec.Name));
  expect(renderRows(format, views.map((v) => serviceRow(v, false)), SERVICE_FORMAT, "service")).toBe(docker);
});

test.each([
  "table {{.Hostname}}\\t{{.Status}}\\t{{.Availability}}\\t{{.ManagerStatus}}\\t{{.EngineVersion}}",
  "{{.Hostname}}{{if .Self}} (this node){{end}}: {{.Status}}",
  "{{json .Hostname}} {{.TLSStatus}}",
])("node ls --format %s", async (format) => {
  const docker = await dockerOk(cli!, sock, ["node", "ls", "--format", format]);
  const m = c.nodes[0]!.agent.requireManager();
  const live = { leaderId: m.leaderId, self: c.nodes[0]!.id, connected: () => true };
  const nodes = (await api().nodes()).map((n) => nodeView(n, live)).sort((a, b) => a.Description.Hostname.localeCompare(b.Description.Hostname));
  expect(renderRows(format, nodes.map((n) => nodeRow(n, c.nodes[0]!.id)), NODE_FORMAT, "node")).toBe(docker);
});

test.each([
  "{{.Spec.Name}} {{with .Spec.Mode.Replicated}}{{.Replicas}}{{end}} {{.Spec.TaskTemplate.ContainerSpec.Image}}",
  "{{json .Spec.Labels}} {{.Spec.Labels}} {{index .Spec.Labels \"tier\"}}",
  "{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}} {{end}}",
  "{{json .Endpoint.Ports}}",
  "{{with .Spec.Mode.Replicated}}replicas={{.Replicas}}{{else}}global{{end}} {{len .Spec.Labels}} {{upper .Spec.Name}}",
  "{{if eq .Spec.Name \"web\"}}{{printf \"%-8s|\" .Spec.Name}}{{end}}",
])("service inspect --format %s", async (format) => {
  for (const name of ["web", "a-much-longer-service-name"]) {
    const docker = await dockerOk(cli!, sock, ["service", "inspect", "--format", format, name]);
    const svc = (await api().service(name)).Service;
    expect(renderEach(format, [JSON.parse(JSON.stringify(dockerService(svc)))])).toBe(docker);
  }
});
