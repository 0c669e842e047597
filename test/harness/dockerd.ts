// A private Docker engine for tests: a real dockerd (Debian docker.io 20.10) on its own socket, data-root,
// exec-root, pidfile, config file and cgroup parent, all under one temp dir, so that several can run at
// once on one host and none touches /var/run/docker.sock or /etc/docker.
//
// Containers get no bridge (`--bridge=none`, no iptables): they have loopback only, which is what our
// tests use (`ping 127.0.0.1`, `sleep`, `httpd` on loopback), or `--network host`.
//
// Each dockerd runs in its own network namespace (`swd-<id>`, loopback up): a dockerd started with
// `--bridge=none` deletes the interface named docker0 of the namespace it runs in, which in the host's
// namespace is the machine's own Docker's default bridge (its containers lose their network). The
// agent under test still reaches it over the unix socket; `--network host` containers share that
// namespace's loopback.
//
// Contract: `startDockerd` resolves once `GET /_ping` answers (deadline `startTimeoutMs`), or throws with
// the tail of dockerd's log. `stop()` is idempotent: force-removes every container, SIGTERMs dockerd
// (SIGKILL after a deadline, and its containerd), unmounts leftovers under the temp dir, removes the dir
// and the cgroup-parent directories.
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm, rmdir, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import Dockerode from "dockerode";
import { reached } from "./wait.ts";

export interface PrivateDockerd {
  /** `unix:///…/docker.sock`, suitable for DOCKER_HOST or `--docker-host`. */
  host: string;
  socketPath: string;
  /** The temp dir holding everything (data-root is `<dataDir>/data`). */
  dataDir: string;
  /** Pid of the dockerd process. */
  pid: number;
  /** A dockerode client for this engine. */
  docker: Dockerode;
  stop(): Promise<void>;
  /**
   * Stops dockerd (its containers stop too: no live-restore) and starts it again over the same data,
   * like a host's engine restarting. Containers and images survive, stopped.
   */
  restart(): Promise<void>;
}

export interface StartDockerdOptions {
  /** Short name used in the temp dir and cgroup parent (letters, digits, dashes). */
  name: string;
  startTimeoutMs?: number;
  /** Extra dockerd flags. */
  extraArgs?: string[];
}

export const DOCKERD_BIN = "/usr/sbin/dockerd";

/**
 * Engines still running, so that a test process that exits without calling stop() (a crash, a test
 * timeout) at least asks them to shut down (SIGTERM: dockerd stops its containers, then exits).
 */
const running = new Set<ReturnType<typeof Bun.spawn>>();
process.on("exit", () => {
  for (const p of running) if (p.exitCode === null) p.kill("SIGTERM");
});

/** Why this host cannot run a private dockerd, or undefined when it can. */
export function dockerUnavailableReason(): string | undefined {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "not running as root";
  if (!existsSync(DOCKERD_BIN)) return `${DOCKERD_BIN} is missing (apt-get install docker.io)`;
  if (!existsSync("/usr/bin/containerd") && !existsSync("/usr/sbin/containerd")) return "containerd is missing";
  return undefined;
}

/** True when tests that need a real dockerd must be skipped; warns loudly once per label. */
export function skipUnlessDocker(label: string): boolean {
  const reason = dockerUnavailableReason();
  if (reason !== undefined) console.warn(`\n*** SKIPPING ${label}: needs a real dockerd, but ${reason} ***\n`);
  return reason !== undefined;
}

async function ping(socketPath: string): Promise<boolean> {
  try {
    const res = await fetch("http://docker/_ping", { unix: socketPath, signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

const waitFor = reached;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(file, "utf8")).trim(), 10);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Guards against killing an unrelated process that reused a stale pid. */
async function cmdlineMentions(pid: number, text: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).includes(text);
  } catch {
    return false;
  }
}

/** Pids of processes whose command line mentions `text` (e.g. shims serving our containerd). */
async function pidsMentioning(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (await cmdlineMentions(pid, text)) out.push(pid);
  }
  return out;
}

/** Pids still inside our cgroup parent (any hierarchy, any depth). */
async function pidsInCgroup(parent: string): Promise<number[]> {
  const out = new Set<number>();
  const walk = async (dir: string): Promise<void> => {
    const procs = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
    for (const l of procs.split("\n")) if (l.trim() !== "") out.add(Number(l));
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(join(dir, e.name));
  };
  for (const h of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
    const dir = join("/sys/fs/cgroup", h, parent);
    if (existsSync(dir)) await walk(dir);
  }
  return [...out];
}

/**
 * After dockerd and containerd are gone, nothing of ours may stay: containerd shims (they outlive a
 * killed containerd by design) and container processes in our cgroup parent. Only processes that
 * name our temp dir or live in our own cgroup are touched.
 */
async function killLeftovers(dir: string, cgroupParent: string): Promise<void> {
  const pids = new Set([...(await pidsMentioning(`${dir}/`)), ...(await pidsInCgroup(cgroupParent))]);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await waitFor(() => [...pids].every((p) => !alive(p)), 5_000);
}

async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/mounts", "utf8"))
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m], { stdout: "ignore", stderr: "ignore" });
}

async function removeCgroupParent(parent: string): Promise<void> {
  let hierarchies: string[] = [];
  try {
    hierarchies = await readdir("/sys/fs/cgroup");
  } catch {
    return;
  }
  for (const h of [...hierarchies, ""]) {
    const dir = join("/sys/fs/cgroup", h, parent);
    if (!existsSync(dir)) continue;
    // Children first (docker leaves one dir per container when a removal raced).
    try {
      for (const child of await readdir(dir, { withFileTypes: true })) {
        if (child.isDirectory()) await rmdir(join(dir, child.name)).catch(() => undefined);
      }
      await rmdir(dir);
    } catch {
      // best effort: a busy cgroup is released by the kernel when its last process exits
    }
  }
}

const NETNS_PREFIX = "swd-";

function ipRun(args: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["ip", ...args], { stdout: "pipe", stderr: "pipe" });
  return { ok: r.exitCode === 0, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** Namespaces of private dockerds whose temp dir is gone (a killed test run): deleted. */
async function removeStaleNetns(): Promise<void> {
  const listed = ipRun(["netns", "list"]).out.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(NETNS_PREFIX));
  if (listed.length === 0) return;
  const dirs = await readdir("/tmp").catch(() => [] as string[]);
  for (const ns of listed) {
    const id = ns.slice(NETNS_PREFIX.length);
    if (!dirs.some((d) => d.startsWith("swd-") && d.endsWith(`-${id}`))) ipRun(["netns", "del", ns]);
  }
}

export async function startDockerd(opts: StartDockerdOptions): Promise<PrivateDockerd> {
  const reason = dockerUnavailableReason();
  if (reason !== undefined) throw new Error(`cannot start a private dockerd: ${reason}`);
  await removeStaleNetns();
  const safe = opts.name.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 20);
  // Short path: unix socket paths are limited to 108 bytes (containerd's live under exec-root).
  const dir = await mkdtemp(`/tmp/swd-${safe}-`);
  const socketPath = join(dir, "docker.sock");
  const cgroupParent = `swarm-test-${dir.slice(dir.lastIndexOf("-") + 1)}`;
  const netns = `${NETNS_PREFIX}${dir.slice(dir.lastIndexOf("-") + 1)}`;
  const made = ipRun(["netns", "add", netns]);
  if (!made.ok) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot create the network namespace ${netns} for a private dockerd: ${made.out.trim()}`);
  }
  ipRun(["-n", netns, "link", "set", "lo", "up"]);
  await writeFile(join(dir, "daemon.json"), JSON.stringify({ "deprecated-key-path": join(dir, "key.json") }));
  const logFile = join(dir, "dockerd.log");
  const args = [
    "nsenter",
    `--net=/run/netns/${netns}`,
    "--",
    DOCKERD_BIN,
    `--host=unix://${socketPath}`,
    `--data-root=${join(dir, "data")}`,
    `--exec-root=${join(dir, "exec")}`,
    `--pidfile=${join(dir, "docker.pid")}`,
    `--config-file=${join(dir, "daemon.json")}`,
    `--cgroup-parent=/${cgroupParent}`,
    "--bridge=none",
    "--iptables=false",
    "--ip-masq=false",
    "--storage-driver=overlay2",
    "--log-level=warn",
    "--shutdown-timeout=2", // stop() removes containers first; restart() need not wait 15 s
    ...(opts.extraArgs ?? []),
  ];
  const docker = new Dockerode({ socketPath });
  const containerdPidFile = join(dir, "exec", "containerd", "containerd.pid");
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  let stopped = false;

  /** Starts dockerd over the same dirs and waits for /_ping; throws with the log tail. */
  const launch = async (): Promise<void> => {
    // A stale containerd pid file makes a restarted dockerd wait 15 s and fail (DESIGN.md).
    await rm(containerdPidFile, { force: true });
    const fd = openSync(logFile, "a");
    try {
      proc = Bun.spawn(args, { stdout: fd, stderr: fd, stdin: "ignore" });
      running.add(proc);
      const started = proc;
      void started.exited.then(() => running.delete(started));
    } finally {
      closeSync(fd);
    }
    const p = proc;
    const up = await waitFor(async () => p.exitCode !== null || (await ping(socketPath)), opts.startTimeoutMs ?? 30_000);
    if (!up || p.exitCode !== null) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      const why = p.exitCode !== null ? `exited with code ${p.exitCode}` : "did not answer /_ping in time";
      throw new Error(`private dockerd ${opts.name} ${why}; log tail:\n${log.split("\n").slice(-15).join("\n")}`);
    }
  };

  /** SIGTERM (SIGKILL after 20 s) and wait; then its containerd. Containers stop with it. */
  const halt = async (): Promise<void> => {
    const containerdPid = await readPid(containerdPidFile);
    const p = proc;
    if (p && p.exitCode === null) {
      p.kill("SIGTERM");
      const exited = await waitFor(() => p.exitCode !== null || !alive(p.pid), 20_000);
      if (!exited) p.kill("SIGKILL");
      await p.exited;
    }
    if (containerdPid !== undefined && alive(containerdPid) && (await cmdlineMentions(containerdPid, dir))) {
      process.kill(containerdPid, "SIGTERM");
      if (!(await waitFor(() => !alive(containerdPid), 5_000))) process.kill(containerdPid, "SIGKILL");
    }
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (proc && proc.exitCode === null && (await ping(socketPath))) {
      try {
        const all = await docker.listContainers({ all: true });
        await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
      } catch {
        // the engine is going away anyway
      }
    }
    await halt();
    await killLeftovers(dir, cgroupParent);
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true }).catch(async () => {
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    });
    await removeCgroupParent(cgroupParent);
    ipRun(["netns", "del", netns]);
  };

  const restart = async (): Promise<void> => {
    if (stopped) throw new Error("restart() after stop()");
    await halt();
    await launch();
  };

  try {
    await launch();
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    host: `unix://${socketPath}`,
    socketPath,
    dataDir: dir,
    get pid() {
      return proc?.pid ?? 0;
    },
    docker,
    stop,
    restart,
  };
}
