/**
 * Issue 11, defect 7: socket and data-dir modes followed the umask (umask 000 gave a 0777 API socket:
 * any local user drove the agent, and through it Docker). The compiled agent is started under umask
 * 000 with no cluster and no Docker (it answers its API without either), and the modes are checked.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../harness/index.ts";
import { runBinary, swarmBinary } from "../cli/fixture.ts";

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
const agents: ReturnType<typeof Bun.spawn>[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) {
    a.kill("SIGTERM");
    await a.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "swarm-hostile-modes-"));
  dirs.push(d);
  return d;
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8).padStart(4, "0");

/** `swarm agent` under umask 000; resolves once its socket answers. */
async function agentUnderUmask000(dataDir: string, socket: string): Promise<ReturnType<typeof Bun.spawn>> {
  const bin = await swarmBinary();
  const args = [bin, "agent", "--data-dir", dataDir, "--socket", socket, "--docker-host", "unix:///nonexistent/docker.sock", "--log-file", join(dataDir, "agent.log"), "--listen-addr", "0"];
  const p = Bun.spawn(["bash", "-c", `umask 000; exec "$@"`, "bash", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  agents.push(p);
  await waitUntil("the agent answers or exits", async () => {
    if (p.exitCode !== null) return true;
    const r = await fetch("http://agent/_ping", { unix: socket } as RequestInit).catch(() => undefined);
    return r?.ok;
  }, 15_000);
  if (p.exitCode !== null) throw new Error(`the agent exited ${p.exitCode}: ${await new Response(p.stderr).text()}`);
  return p;
}

describe("modes do not follow the umask", () => {
  test("socket 0660, data dir 0700, logs/ 0700, agent.log 0600; state files an older agent left open are closed to 0600", async () => {
    const root = tmp();
    const dataDir = join(root, "state");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    for (const f of ["raft.db", "agent.log"]) {
      writeFileSync(join(dataDir, f), "");
      chmodSync(join(dataDir, f), 0o666);
    }
    const socket = join(root, "run", "swarm.sock");
    await agentUnderUmask000(dataDir, socket);
    expect(mode(socket)).toBe("0660");
    expect(mode(join(root, "run"))).toBe("0755");
    expect(mode(dataDir)).toBe("0700");
    expect(mode(join(dataDir, "logs"))).toBe("0700");
    expect(mode(join(dataDir, "agent.log"))).toBe("0600");
    expect(mode(join(dataDir, "raft.db"))).toBe("0600");
    expect(mode(join(dataDir, "transport.key"))).toBe("0600");
  }, 30_000);

  test("a data dir that is a symbolic link is refused, with what to do", async () => {
    const root = tmp();
    mkdirSync(join(root, "real"));
    symlinkSync(join(root, "real"), join(root, "state"));
    const r = await runBinary(await swarmBinary(), ["agent", "--data-dir", join(root, "state"), "--socket", join(root, "s.sock"), "--docker-host", "unix:///nonexistent"], {}, 15_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/data directory .* is a symbolic link: point --data-dir at the real directory/);
  }, 30_000);

  test.skipIf(!isRoot)("a data dir owned by another user is refused (needs root to chown)", async () => {
    const root = tmp();
    const dataDir = join(root, "state");
    mkdirSync(dataDir);
    chownSync(dataDir, 65534, 65534);
    const r = await runBinary(await swarmBinary(), ["agent", "--data-dir", dataDir, "--socket", join(root, "s.sock"), "--docker-host", "unix:///nonexistent"], {}, 15_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/belongs to user 65534, not to this agent's user/);
  }, 30_000);

  test("`swarm init` under umask 000 leaves agent.log 0600 in a 0700 data dir (even an older 0666 log in a 0755 dir; even when init then fails)", async () => {
    const root = tmp();
    const dataDir = join(root, "state");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, "agent.log"), "");
    chmodSync(join(dataDir, "agent.log"), 0o666);
    const bin = await swarmBinary();
    const p = Bun.spawn(["bash", "-c", `umask 000; exec "$@"`, "bash", bin, "init", "--data-dir", dataDir, "--socket", join(root, "s.sock"), "--docker-host", "unix:///nonexistent/docker.sock", "--listen-addr", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    const [, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(stderr).toMatch(/cannot reach Docker/);
    expect(mode(dataDir)).toBe("0700");
    expect(mode(join(dataDir, "agent.log"))).toBe("0600");
  }, 30_000);
});
