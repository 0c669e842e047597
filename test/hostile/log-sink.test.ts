/**
 * Issue 11, defect 5: a full data disk crashed the agent (ENOSPC from its own log file). The sink drops
 * and counts lines it cannot write and says so once space returns; the compiled agent logging to
 * /dev/full (every write fails with ENOSPC) starts, answers and keeps answering.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogSink, type SinkFs } from "../../internal/logs/index.ts";
import { waitUntil } from "../harness/index.ts";
import { swarmBinary } from "../cli/fixture.ts";

/** A file that fails with `code` while `full` is set. */
function twin() {
  const st = { full: false, code: "ENOSPC", lines: [] as string[], opens: 0 };
  const fs: SinkFs = {
    open: () => ++st.opens,
    write: (_fd, data) => {
      if (st.full) throw Object.assign(new Error(`${st.code}: no space left on device, write`), { code: st.code });
      st.lines.push(data);
    },
    close: () => undefined,
  };
  return { st, fs };
}

describe("the log sink", () => {
  test("never throws on a full disk, counts what it dropped, and says so once space returns", () => {
    const { st, fs } = twin();
    const sink = createLogSink("/x/agent.log", fs, () => 42);
    sink.write("a\n");
    st.full = true;
    for (let i = 0; i < 5; i++) expect(() => sink.write(`lost ${i}\n`)).not.toThrow();
    expect(sink.dropped).toBe(5);
    expect(sink.lastError).toBe("ENOSPC");
    st.full = false;
    sink.write("b\n");
    expect(st.lines).toEqual([
      "a\n",
      `${JSON.stringify({ level: 40, time: 42, msg: "5 log lines were dropped (ENOSPC): the log file could not be written" })}\n`,
      "b\n",
    ]);
    expect(sink.dropped).toBe(0);
  });

  test("a descriptor that went bad is reopened", () => {
    const { st, fs } = twin();
    const sink = createLogSink("/x/agent.log", fs);
    st.full = true;
    st.code = "EBADF";
    sink.write("lost\n");
    st.full = false;
    sink.write("c\n");
    expect(st.opens).toBe(2);
    expect(st.lines.at(-1)).toBe("c\n");
  });

  test("a log file that cannot even be opened drops lines instead of failing", () => {
    const sink = createLogSink("/proc/no-such-dir/agent.log");
    expect(() => sink.write("x\n")).not.toThrow();
    expect(sink.dropped).toBe(1);
  });
});

let dir: string | undefined;
let agent: ReturnType<typeof Bun.spawn> | undefined;
afterEach(async () => {
  agent?.kill("SIGTERM");
  await agent?.exited;
  agent = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the compiled agent logging to /dev/full (ENOSPC on every write) starts and keeps answering", async () => {
  dir = mkdtempSync(join(tmpdir(), "swarm-hostile-full-"));
  const socket = join(dir, "s.sock");
  agent = Bun.spawn([await swarmBinary(), "agent", "--data-dir", join(dir, "state"), "--socket", socket, "--docker-host", "unix:///nonexistent/docker.sock", "--log-file", "/dev/full", "--listen-addr", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const ping = async () => (await fetch("http://agent/_ping", { unix: socket } as RequestInit).catch(() => undefined))?.ok === true;
  await waitUntil("the agent answers or exits", async () => agent!.exitCode !== null || (await ping()), 15_000);
  if (agent.exitCode !== null) throw new Error(`the agent exited ${agent.exitCode}: ${await new Response(agent.stderr as ReadableStream).text()}`);
  // Requests log too (an error answer logs at least one line): the agent must survive them.
  for (let i = 0; i < 20; i++) await fetch("http://agent/services", { unix: socket } as RequestInit);
  const info = await fetch("http://agent/info", { unix: socket } as RequestInit);
  expect(info.status).toBe(200);
  expect(agent.exitCode).toBeNull();
  expect(await ping()).toBe(true);
}, 30_000);
