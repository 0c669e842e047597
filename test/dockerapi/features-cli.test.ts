/**
 * Issue 14's features through the stock Docker CLIs (Debian's 20.10 and a current one when present):
 * health checks, update/rollback settings, secrets and configs (the /secrets and /configs endpoints
 * and --secret/--config references), UpdateStatus after `docker service rollback`, job modes. On a
 * one-process cluster (1 manager, fake runtime): the request bodies the CLI sends are captured and
 * the stored spec checked, then read back through `docker service inspect`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceSpec } from "../../internal/api/index.ts";
import { dockerBackend, serveUnix } from "../../internal/daemon/index.ts";
import { createDockerApiHandler } from "../../internal/dockerapi/index.ts";
import { TestCluster } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { currentDockerCli, debianDockerCli, docker, dockerOk, type DockerCli } from "./docker-cli.ts";

const debian = debianDockerCli();
const current = currentDockerCli();
if (!current) console.warn("SKIPPED: no current Docker CLI besides Debian's docker.io on PATH; only Debian's CLI is tested");

let c: TestCluster;
const dir = mkdtempSync(join(tmpdir(), "swarm-dockerapi-features-"));
let server: { stop(force?: boolean): void } | undefined;
const sockPath = join(dir, "m1.sock");
/** Bodies of POST /services/create and /services/{id}/update, as the CLI sent them. */
const bodies: { path: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  if (!debian) throw new Error("Debian's docker.io CLI (/usr/bin/docker) is missing: run scripts/install-deps");
  c = await TestCluster.start(1311, 1, 0);
  const handle = createDockerApiHandler(dockerBackend(c.leader()!.api), { onInternalError: (err) => console.error("internal error", err) });
  server = await serveUnix(sockPath, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "POST" && /\/services\/.*(create|update)$/.test(path)) {
      const text = await req.clone().text();
      bodies.push({ path, body: text ? JSON.parse(text) : {} });
    }
    return handle(req);
  });
}, 60_000);

afterAll(async () => {
  server?.stop(true);
  await c?.close();
  rmSync(dir, { recursive: true, force: true });
});

const clis: [string, DockerCli | undefined][] = [
  [`Debian docker.io ${debian?.version}`, debian],
  [`current Docker CLI ${current?.version ?? "(none on this machine)"}`, current],
];

/** "verify: Service converged" (20.10), "verify: Service <id> converged" (28). */
const CONVERGED = /verify: Service (\S+ )?converged/;

const spec = (name: string): ServiceSpec => Object.values(c.state().services).find((s) => s.Spec.Name === name)!.Spec;
const service = (name: string) => Object.values(c.state().services).find((s) => s.Spec.Name === name)!;

/** `docker secret create NAME -` with `data` on stdin. */
async function createFromStdin(cli: DockerCli, kind: "secret" | "config", name: string, data: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([cli.bin, "-H", `unix://${sockPath}`, kind, "create", name, "-"], {
    stdin: new TextEncoder().encode(data),
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, DOCKER_CONFIG: dir, DOCKER_CLI_HINTS: "false" },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

for (const [label, cli] of clis) {
  describe.skipIf(!cli)(label, () => {
    const v = () => cli!.version.split(".")[0]!;
    const d = (args: string[]) => dockerOk(cli!, sockPath, args);

    test("secret create (stdin) / ls / inspect / rm: the data never comes back", async () => {
      const name = `pw-${v()}`;
      const r = await createFromStdin(cli!, "secret", name, "hunter2\n");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const id = r.stdout.trim();
      const stored = Object.values(c.state().secrets ?? {}).find((s) => s.Spec.Name === name)!;
      expect(stored.ID).toBe(id);
      expect(stored.Sealed).not.toContain(Buffer.from("hunter2").toString("base64"));
      expect(await d(["secret", "ls", "--format", "{{.ID}} {{.Name}}", "--filter", `name=${name}`])).toBe(`${id} ${name}\n`);
      const inspect = await d(["secret", "inspect", name]);
      expect(JSON.parse(inspect)[0].Spec).toEqual({ Name: name, Labels: {} });
      expect(inspect).not.toContain(Buffer.from("hunter2\n").toString("base64"));
      // What `docker stack deploy` sends for a secret that exists: the same spec is accepted, a change refused.
      const update = (spec: unknown) =>
        fetch(`http://docker/v1.41/secrets/${id}/update?version=1`, { unix: sockPath, method: "POST", body: JSON.stringify(spec), headers: { "Content-Type": "application/json" } } as RequestInit);
      expect((await update({ Name: name, Labels: {}, Data: Buffer.from("hunter2\n").toString("base64") })).status).toBe(200);
      const changed = await update({ Name: name, Labels: {}, Data: Buffer.from("other").toString("base64") });
      expect(changed.status).toBe(400);
      expect(((await changed.json()) as { message: string }).message).toContain("only updates to Labels are allowed");
      expect(await d(["secret", "rm", name])).toBe(`${name}\n`);
      expect(Object.values(c.state().secrets ?? {}).some((s) => s.Spec.Name === name)).toBe(false);
      const gone = await docker(cli!, sockPath, ["secret", "inspect", name]);
      expect(gone.code).toBe(1);
      expect(gone.stderr.toLowerCase()).toMatch(/not found|no such secret/);
    });

    test("config create FILE / inspect shows Data (base64) / ls", async () => {
      const name = `conf-${v()}`;
      const file = join(dir, `${name}.txt`);
      writeFileSync(file, "listen 80;\n");
      const id = (await d(["config", "create", "--label", "app=web", name, file])).trim();
      const got = JSON.parse(await d(["config", "inspect", name]))[0];
      expect(got.ID).toBe(id);
      expect(got.Spec).toEqual({ Name: name, Labels: { app: "web" }, Data: Buffer.from("listen 80;\n").toString("base64") });
      expect(await d(["config", "inspect", "--pretty", name])).toContain("listen 80;");
      expect(await d(["config", "ls", "--format", "{{.Name}}", "--filter", "label=app=web"])).toContain(`${name}\n`);
    });

    test("service create with --health-*, --update-*, --rollback-*, --secret and --config: stored as sent, shown back as Docker shows it", async () => {
      const name = `h-${v()}`;
      const sec = `s-${v()}`;
      const conf = `c-${v()}`;
      expect((await createFromStdin(cli!, "secret", sec, "token")).code).toBe(0);
      writeFileSync(join(dir, conf), "a=1\n");
      await d(["config", "create", conf, join(dir, conf)]);
      bodies.length = 0;
      await d([
        "service", "create", "--name", name, "-d",
        "--health-cmd", "test -f /tmp/ok", "--health-interval", "2s", "--health-timeout", "1s", "--health-retries", "2", "--health-start-period", "3s",
        "--update-parallelism", "2", "--update-order", "start-first", "--update-delay", "1s", "--update-failure-action", "rollback", "--update-monitor", "7s",
        "--rollback-parallelism", "0", "--rollback-max-failure-ratio", "0.5",
        "--secret", sec, "--secret", `source=${sec},target=other,uid=1000,gid=1000,mode=0400`,
        "--config", `source=${conf},target=/etc/app.conf`,
        "swarm-busybox", "sleep", "1000",
      ]);
      // What the CLI sent: references by ID and name, durations in ns, FileMode as a number.
      const sent = bodies.at(-1)!.body as { UpdateConfig: Record<string, unknown>; TaskTemplate: { ContainerSpec: { Secrets: { SecretID: string }[] } } };
      expect(sent.UpdateConfig).toMatchObject({ Parallelism: 2, Delay: 1e9, FailureAction: "rollback", Monitor: 7e9, Order: "start-first" });
      const secretId = Object.values(c.state().secrets ?? {}).find((s) => s.Spec.Name === sec)!.ID;
      expect(sent.TaskTemplate.ContainerSpec.Secrets[0]!.SecretID).toBe(secretId);

      const s = spec(name);
      expect(s.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["CMD-SHELL", "test -f /tmp/ok"], Interval: 2e9, Timeout: 1e9, Retries: 2, StartPeriod: 3e9 });
      expect(s.UpdateConfig).toEqual({ Parallelism: 2, Delay: 1e9, FailureAction: "rollback", Monitor: 7e9, MaxFailureRatio: 0, Order: "start-first" });
      expect(s.RollbackConfig).toMatchObject({ Parallelism: 0, MaxFailureRatio: 0.5, FailureAction: "pause", Order: "stop-first" });
      // The 28 CLI sends the --secret list in no fixed order.
      expect([...s.TaskTemplate.ContainerSpec.Secrets!].sort((a, b) => a.File.Name.localeCompare(b.File.Name))).toEqual([
        { File: { Name: "other", UID: "1000", GID: "1000", Mode: 0o400 }, SecretID: secretId, SecretName: sec },
        { File: { Name: sec, UID: "0", GID: "0", Mode: 0o444 }, SecretID: secretId, SecretName: sec },
      ]);
      expect(s.TaskTemplate.ContainerSpec.Configs).toEqual([
        { File: { Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 0o444 }, ConfigID: expect.any(String), ConfigName: conf },
      ]);

      const fmt = "{{.Spec.UpdateConfig.Parallelism}} {{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.Delay}} {{.Spec.RollbackConfig.MaxFailureRatio}} {{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}{{range .Spec.TaskTemplate.ContainerSpec.Secrets}} {{.File.Name}}:{{printf \"%o\" .File.Mode}}{{end}}";
      const shown = (await d(["service", "inspect", name, "--format", fmt])).trim().split(" ");
      expect(shown.slice(0, 5).join(" ")).toBe('2 start-first 1s 0.5 ["CMD-SHELL","test');
      expect(shown.slice(5).sort()).toEqual(["-f", "/tmp/ok\"]", "other:400", `${sec}:444`].sort());
      const pretty = await d(["service", "inspect", "--pretty", name]);
      expect(pretty).toMatch(/UpdateConfig:\s*\n\s*Parallelism:\s*2\s*\n\s*Delay:\s*1s/);
      expect(pretty).toMatch(/On failure:\s*rollback/);
      expect(pretty).toMatch(/Update order:\s*start-first/);
      expect(pretty).toMatch(/Secrets:\s*\n\s*Target:\s*/);
      expect(pretty).toMatch(/Healthcheck:|Health/);

      // The round trip: `service update` reads the spec, changes one thing, sends the whole spec back.
      await d(["service", "update", "-d", "--env-add", "X=1", name]);
      const after = spec(name);
      expect(after.TaskTemplate.ContainerSpec.Env).toEqual(["X=1"]);
      expect({ ...after, TaskTemplate: { ...after.TaskTemplate, ContainerSpec: { ...after.TaskTemplate.ContainerSpec, Env: undefined } } }).toEqual({
        ...s, TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { ...s.TaskTemplate.ContainerSpec, Env: undefined } },
      });

      // In use: refused; then removed with the service.
      const busy = await docker(cli!, sockPath, ["secret", "rm", sec]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(sec);
      await d(["service", "update", "-d", "--secret-rm", sec, "--health-cmd", "true", "--update-parallelism", "1", name]);
      expect(spec(name).TaskTemplate.ContainerSpec.Secrets).toBeUndefined();
      expect(spec(name).TaskTemplate.ContainerSpec.Healthcheck?.Test).toEqual(["CMD-SHELL", "true"]);
      expect(spec(name).UpdateConfig?.Parallelism).toBe(1);
      expect(await d(["secret", "rm", sec])).toBe(`${sec}\n`);
      await d(["service", "rm", name]);
    });

    test("a service without settings shows Docker's defaults and keeps none after a round trip", async () => {
      const name = `plain-${v()}`;
      await d(["service", "create", "--name", name, "-d", "swarm-busybox", "sleep", "1000"]);
      expect(spec(name).UpdateConfig).toBeUndefined();
      expect(await d(["service", "inspect", name, "--format", "{{json .Spec.UpdateConfig}}"])).toBe('{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"}\n');
      await d(["service", "update", "-d", "--env-add", "Y=2", name]);
      expect(spec(name).UpdateConfig).toBeUndefined();
      expect(spec(name).RollbackConfig).toBeUndefined();
      expect(await d(["service", "update", "-d", "--no-healthcheck", name])).toContain(name);
      expect(spec(name).TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["NONE"] });
    });

    test("service rollback: back to the previous spec, UpdateStatus as Docker reports it", async () => {
      const name = `rb-${v()}`;
      await d(["service", "create", "--name", name, "-d", "-e", "V=1", "swarm-busybox", "sleep", "1000"]);
      await d(["service", "update", "-d", "--env-add", "V=2", name]);
      expect(spec(name).TaskTemplate.ContainerSpec.Env).toEqual(["V=2"]);
      await waitUntil("the update completed", () => service(name).UpdateStatus?.State === "completed", 30_000);
      expect(await d(["service", "inspect", name, "--format", "{{.UpdateStatus.State}}"])).toBe("completed\n");
      const rb = await docker(cli!, sockPath, ["service", "rollback", "-d", name]);
      expect(rb.stderr).toBe("");
      expect(rb.code).toBe(0);
      expect(spec(name).TaskTemplate.ContainerSpec.Env).toEqual(["V=1"]);
      const state = (await d(["service", "inspect", name, "--format", "{{.UpdateStatus.State}} {{.UpdateStatus.Message}}"])).trim();
      expect(state).toMatch(/^rollback_(started|completed) manually requested rollback$/);
      await waitUntil("the rollback completed", () => service(name).UpdateStatus?.State === "rollback_completed", 30_000);
      expect(await d(["service", "inspect", "--pretty", name])).toMatch(/UpdateStatus:\s*\n\s*State:\s*rollback_completed/);
      await d(["service", "rm", name]);
    }, 60_000);

    test("--detach=false reads UpdateStatus: a failing update pauses (an error), or rolls back (reported, then converged)", async () => {
      const name = `fail-${v()}`;
      await d(["service", "create", "--name", name, "-d", "--replicas", "2", "swarm-busybox", "sleep", "1000"]);
      const paused = await docker(cli!, sockPath, ["service", "update", "--detach=false", "--args", "false", name]);
      expect(paused.code).toBe(1);
      expect(paused.stderr).toMatch(/service update paused: update paused due to failure or early termination of task \w+/);
      expect(await d(["service", "inspect", name, "--format", "{{.UpdateStatus.State}}"])).toBe("paused\n");

      const rb = `rbfail-${v()}`;
      await d(["service", "create", "--name", rb, "-d", "--update-failure-action", "rollback", "swarm-busybox", "sleep", "1000"]);
      const rolled = await docker(cli!, sockPath, ["service", "update", "--detach=false", "--args", "false", rb], 90_000);
      // As with Docker: the rollback is reported, then the CLI waits for the rolled-back tasks to converge.
      expect(rolled.stdout).toContain("rollback: update rolled back due to failure or early termination of task");
      expect(rolled.stdout).toMatch(CONVERGED);
      expect(rolled.code).toBe(0);
      expect(await d(["service", "inspect", rb, "--format", "{{.UpdateStatus.State}}"])).toBe("rollback_completed\n");
      expect(spec(rb).TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "1000"]);
      await d(["service", "rm", name, rb]);
    }, 120_000);

    test("jobs: --mode replicated-job and global-job both ways", async () => {
      const name = `job-${v()}`;
      await d(["service", "create", "--name", name, "-d", "--mode", "replicated-job", "--replicas", "3", "--max-concurrent", "2", "swarm-busybox", "true"]);
      expect(spec(name).Mode).toEqual({ ReplicatedJob: { TotalCompletions: 3, MaxConcurrent: 2 } });
      expect(spec(name).UpdateConfig).toBeUndefined();
      expect(await d(["service", "inspect", name, "--format", "{{json .Spec.Mode}} {{.Spec.UpdateConfig}}"])).toBe('{"ReplicatedJob":{"MaxConcurrent":2,"TotalCompletions":3}} <nil>\n');
      expect(await d(["service", "ls", "--filter", `name=${name}`, "--format", "{{.Mode}}"])).toBe("replicated job\n");
      expect(await d(["service", "ls", "--filter", "mode=replicated-job", "--format", "{{.Name}}"])).toContain(`${name}\n`);
      // An update sends the job's spec back: still the same job, a new iteration.
      await d(["service", "update", "-d", "--env-add", "RUN=2", name]);
      expect(spec(name).Mode).toEqual({ ReplicatedJob: { TotalCompletions: 3, MaxConcurrent: 2 } });
      expect(spec(name).TaskTemplate.ContainerSpec.Env).toEqual(["RUN=2"]);
      const g = `gjob-${v()}`;
      await d(["service", "create", "--name", g, "-d", "--mode", "global-job", "swarm-busybox", "true"]);
      expect(spec(g).Mode).toEqual({ GlobalJob: {} });
      expect(await d(["service", "inspect", g, "--format", "{{json .Spec.Mode}}"])).toBe('{"GlobalJob":{}}\n');
      await d(["service", "rm", name, g]);
    });
  });
}
