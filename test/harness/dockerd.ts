// A private Docker engine for tests: a real dockerd (Debian docker.io 20.10) on its own socket, data-root,
// exec-root, pidfile, config file and cgroup parent, all under one temp dir, so that several can run at
// once on one host and none touches /var/run/docker.sock or /etc/docker.
//
// Containers get no bridge (`--bridge=none`, no iptables): they have loopback only, which is what our
// tests use (`ping 127.0.0.1`, `sleep`, `httpd` on loopback), or `--network host`.
//
// Contract: `startDockerd` resolves once `GET /_ping` answers (deadline `startTimeoutMs`), or throws with
// the tail of dockerd's log. `stop()` is idempotent: force-removes every container, SIGTERMs dockerd
// (SIGKILL after a deadline, and its containerd), unmounts leftovers under the temp dir, removes the dir
// and the cgroup-parent directories.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, rmdir, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import Dockerode from "dockerode";

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
}

export interface StartDockerdOptions {
  /** Short name used in the temp dir and cgroup parent (letters, digits, dashes). */
  name: string;
  startTimeoutMs?: number;
  /** Extra dockerd flags. */
  extraArgs?: string[];
}

export const DOCKERD_BIN = "/usr/sbin/dockerd";

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

async function waitFor(cond: () => Promise<boolean> | boolean, deadlineMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await Bun.sleep(stepMs);
  }
}

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

export async function startDockerd(opts: StartDockerdOptions): Promise<PrivateDockerd> {
  const reason = dockerUnavailableReason();
  if (reason !== undefined) throw new Error(`cannot start a private dockerd: ${reason}`);
  const safe = opts.name.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 20);
  // Short path: unix socket paths are limited to 108 bytes (containerd's live under exec-root).
  const dir = await mkdtemp(`/tmp/swd-${safe}-`);
  const socketPath = join(dir, "docker.sock");
  const cgroupParent = `swarm-test-${dir.slice(dir.lastIndexOf("-") + 1)}`;
  await writeFile(join(dir, "daemon.json"), JSON.stringify({ "deprecated-key-path": join(dir, "key.json") }));
  const logFile = join(dir, "dockerd.log");
  const args = [
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
    ...(opts.extraArgs ?? []),
  ];
  const proc = Bun.spawn(args, { stdout: Bun.file(logFile), stderr: Bun.file(logFile), stdin: "ignore" });
  const docker = new Dockerode({ socketPath });
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (proc.exitCode === null && (await ping(socketPath))) {
      try {
        const all = await docker.listContainers({ all: true });
        await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
      } catch {
        // the engine is going away anyway
      }
    }
    const containerdPid = await readPid(join(dir, "exec", "containerd", "containerd.pid"));
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      const exited = await waitFor(() => proc.exitCode !== null || !alive(proc.pid), 20_000);
      if (!exited) proc.kill("SIGKILL");
      await proc.exited;
    }
    if (containerdPid !== undefined && alive(containerdPid)) {
      process.kill(containerdPid, "SIGTERM");
      if (!(await waitFor(() => !alive(containerdPid), 5_000))) process.kill(containerdPid, "SIGKILL");
    }
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true }).catch(async () => {
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    });
    await removeCgroupParent(cgroupParent);
  };

  const up = await waitFor(async () => proc.exitCode !== null || (await ping(socketPath)), opts.startTimeoutMs ?? 30_000);
  if (!up || proc.exitCode !== null) {
    const log = await readFile(logFile, "utf8").catch(() => "");
    await stop();
    const why = proc.exitCode !== null ? `exited with code ${proc.exitCode}` : "did not answer /_ping in time";
    throw new Error(`private dockerd ${opts.name} ${why}; log tail:\n${log.split("\n").slice(-15).join("\n")}`);
  }
  return { host: `unix://${socketPath}`, socketPath, dataDir: dir, pid: proc.pid, docker, stop };
}
