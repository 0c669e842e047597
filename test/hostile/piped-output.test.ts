/**
 * Issue 11, defect 4: CLI output was cut when piped to a slow reader, with exit 0 (`service logs many |
 * (sleep 1; wc -l)` gave 1,742 of 20,000 lines): the process exited before stdout drained. The compiled
 * binary runs against a stand-in agent on a unix socket (no Docker needed) that answers `service ps` with
 * 20,001 tasks and `service logs` with 20,000 lines; the test reads the pipe only after a pause, then
 * counts every line.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogRecord, TaskView } from "../../internal/api/index.ts";
import { swarmBinary } from "../cli/fixture.ts";

const TASKS = 20_001;
const LINES = 20_000;
let dir: string;
let server: ReturnType<typeof Bun.serve>;
let bin: string;

function task(i: number): TaskView {
  const at = new Date(Date.UTC(2024, 0, 1, 0, 0, i % 60)).toISOString();
  return {
    Task: {
      ID: `task${String(i).padStart(21, "0")}`, Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, ServiceID: "svc", Slot: i + 1, NodeID: "n1",
      Spec: { ContainerSpec: { Image: "busybox:latest" }, RestartPolicy: { Condition: "any", Delay: 0, MaxAttempts: 0 }, ForceUpdate: 0 },
      ServiceVersion: 1, Status: { Timestamp: at, State: "pending", Message: "pending" }, DesiredState: "running", Attempt: 0,
    },
    Name: `many.${i + 1}`, ServiceName: "many", NodeHostname: "",
  };
}

beforeAll(async () => {
  bin = await swarmBinary();
  dir = mkdtempSync(join(tmpdir(), "swarm-hostile-pipe-"));
  const tasks = JSON.stringify(Array.from({ length: TASKS }, (_, i) => task(i)));
  const logs = Array.from({ length: LINES }, (_, i): string => {
    const r: LogRecord = { task: "task1", name: "many.1", node: "n1", stream: "stdout", ts: "2024-01-01T00:00:00.000000000Z", line: `line ${i} ${"x".repeat(60)}` };
    return JSON.stringify(r);
  }).join("\n") + "\n";
  server = Bun.serve({
    unix: join(dir, "agent.sock"),
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/tasks") return new Response(tasks, { headers: { "content-type": "application/json" } });
      if (path === "/logs") return new Response(logs, { headers: { "content-type": "application/x-ndjson" } });
      return new Response(JSON.stringify({ code: "NOT_FOUND", message: `no ${path} here` }), { status: 404 });
    },
  } as Parameters<typeof Bun.serve>[0]);
});
afterAll(() => {
  server?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * `swarm ARGS | (sleep PAUSE; wc -l)` in bash, as the issue ran it: the pipe is not read at all while
 * the binary works (a Bun.spawn pipe would be drained eagerly by this process). Returns the count the
 * slow reader saw and the binary's own exit code (PIPESTATUS).
 */
async function slowlyRead(args: string[], pauseMs: number): Promise<{ code: number; lines: number; stderr: string }> {
  const cmd = [bin, "-H", `unix://${join(dir, "agent.sock")}`, ...args].map((a) => `'${a}'`).join(" ");
  const script = `${cmd} 2>"$ERRFILE" | (sleep ${pauseMs / 1000}; wc -l); echo "exit=\${PIPESTATUS[0]}"`;
  const errFile = join(dir, "stderr.txt");
  const p = Bun.spawn(["bash", "-c", script], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ERRFILE: errFile } });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const [count, exit] = out.trim().split("\n");
  return { code: Number(/exit=(\d+)/.exec(exit ?? "")?.[1] ?? -1), lines: Number(count), stderr: await Bun.file(errFile).text() };
}

test(`service ps of ${TASKS} tasks arrives whole at a slow reader`, async () => {
  const r = await slowlyRead(["service", "ps", "many"], 1500);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.lines).toBe(TASKS + 1); // + the header
}, 60_000);

test(`service logs of ${LINES} lines arrives whole at a slow reader`, async () => {
  const r = await slowlyRead(["service", "logs", "many"], 1500);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.lines).toBe(LINES);
}, 60_000);
