/**
 * A one-node cluster for CLI tests: a private dockerd (test/harness), the test image, and the compiled
 * `swarm` binary started with `swarm init` on a temp data dir and socket. `run()` invokes the binary
 * the way a user would and returns its exit code and output. `close()` leaves the cluster and stops
 * dockerd; it is safe to call twice.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadTestImage, startDockerd, type PrivateDockerd } from "../harness/index.ts";

const root = resolve(import.meta.dir, "../..");

/** The compiled binary: $SWARM_BIN, else dist/swarm (built once if missing). */
export async function swarmBinary(): Promise<string> {
  const bin = process.env.SWARM_BIN ?? join(root, "dist/swarm");
  if (!existsSync(bin)) {
    const p = Bun.spawn([process.execPath, join(root, "scripts/build.ts")], { stdio: ["ignore", "inherit", "inherit"] });
    if ((await p.exited) !== 0) throw new Error("building dist/swarm failed");
  }
  return bin;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface OneNode {
  bin: string;
  dockerd: PrivateDockerd;
  dataDir: string;
  socket: string;
  image: string;
  run(args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  /** Runs and throws with the output unless the exit code is 0. */
  ok(args: string[]): Promise<string>;
  containers(all?: boolean): Promise<{ Names: string[]; Labels: Record<string, string>; State: string }[]>;
  /** `service ps --format json SERVICE`, one parsed object per task. */
  tasks(service: string): Promise<any[]>;
  close(): Promise<void>;
}

export async function runBinary(bin: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<RunResult> {
  const p = Bun.spawn([bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export async function startOneNode(name: string): Promise<OneNode> {
  const bin = await swarmBinary();
  const dockerd = await startDockerd({ name });
  const image = await loadTestImage(dockerd.docker);
  const dataDir = mkdtempSync(join(tmpdir(), `swarm-${name}-`));
  const socket = join(dataDir, "swarm.sock");
  const env = { SWARM_HOST: `unix://${socket}`, DOCKER_HOST: dockerd.host, SWARM_DATA_DIR: join(dataDir, "state") };
  let closed = false;
  const node: OneNode = {
    bin, dockerd, dataDir, socket, image,
    run: (args, opts) => runBinary(bin, args, { ...env, ...opts?.env }, opts?.timeoutMs),
    async ok(args) {
      const r = await node.run(args);
      if (r.code !== 0) throw new Error(`swarm ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r.stdout;
    },
    async containers(all = true) {
      return (await dockerd.docker.listContainers({ all })) as any;
    },
    async tasks(service) {
      return (await node.ok(["service", "ps", "--format", "json", service])).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await node.run(["leave", "--force"], { timeoutMs: 40_000 });
      } finally {
        await dockerd.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
  try {
    await node.ok(["init", "--listen-addr", "0"]);
  } catch (err) {
    await dockerd.stop();
    throw err;
  }
  return node;
}
