/**
 * Our cluster on the test bed, driven by the compiled `swarm` binary against the CLI contract of
 * issue 9: `init` / `join` run inside the host (so the agent they start in the background lives in
 * the host's network namespace and cgroup: power-off kills it), each host with its own data dir and
 * socket under host.dir and the host's own dockerd; the other commands talk to a host's agent
 * through its socket (SWARM_HOST), from the root namespace like the docker CLI does.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { BUSYBOX_IMAGE_REF, type TestbedHost } from "../../../test/testbed/index.ts";
import { runBinary } from "../../../test/cli/fixture.ts";
import { waitUntil } from "../../../test/harness/index.ts";
import { alive, cmdline, removeAllContainers } from "./engine.ts";
import { CommandFailed, type ClusterSystem } from "./system.ts";
import { keepFile } from "./trace.ts";
import { parseNodeLs } from "./table.ts";

const TASK = [BUSYBOX_IMAGE_REF, "sleep", "86400"];

export interface OursPaths {
  dataDir: string;
  socket: string;
}

export const oursPaths = (h: TestbedHost): OursPaths => ({ dataDir: `${h.dir}/swarm`, socket: `${h.dir}/swarm.sock` });

/** The agent of `h`: `<data-dir>/agent.pid` if it names a live agent, else the process whose argv has `agent --data-dir D`. */
export function findAgentPid(h: TestbedHost): number | null {
  const { dataDir } = oursPaths(h);
  const isAgent = (pid: number): boolean => {
    const argv = cmdline(pid);
    if (!argv || !alive(pid)) return false;
    const i = argv.indexOf("--data-dir");
    return argv.includes("agent") && ((i >= 0 && argv[i + 1] === dataDir) || argv.includes(`--data-dir=${dataDir}`));
  };
  try {
    const pid = Number(readFileSync(`${dataDir}/agent.pid`, "utf8").trim());
    if (pid > 0 && isAgent(pid)) return pid;
  } catch {
    // no pid file: look for the process
  }
  for (const e of readdirSync("/proc")) {
    const pid = Number(e);
    if (Number.isInteger(pid) && pid > 0 && isAgent(pid)) return pid;
  }
  return null;
}

export function ours(bin: string): ClusterSystem {
  let cleaned = 0;
  const agentFlags = (h: TestbedHost): string[] => {
    const p = oursPaths(h);
    return ["--advertise-addr", h.ip, "--data-dir", p.dataDir, "--socket", p.socket, "--docker-host", h.dockerHost];
  };
  /** A command inside the host (init, join: they start the agent). */
  const inHost = async (h: TestbedHost, args: string[], timeoutMs = 60_000): Promise<string> => {
    const r = await h.exec([bin, ...args], { timeoutMs, env: { SWARM_HOST: `unix://${oursPaths(h).socket}` } });
    if (r.code !== 0) throw new CommandFailed(["swarm", ...args], r.code, r.stderr || r.stdout);
    return r.stdout.trim();
  };
  /** A client command against h's agent. */
  const client = async (h: TestbedHost, args: string[], timeoutMs = 60_000): Promise<string> => {
    const r = await runBinary(bin, args, { SWARM_HOST: `unix://${oursPaths(h).socket}` }, timeoutMs);
    if (r.code !== 0) throw new CommandFailed(["swarm", ...args], r.code, r.stderr || r.stdout);
    return r.stdout.trim();
  };

  return {
    name: "swarm",
    serviceLabel: "com.swarm.service.name",

    async init(h) {
      await inHost(h, ["init", ...agentFlags(h)]);
    },

    async joinTokens(m) {
      const [manager, worker] = await Promise.all([
        client(m, ["join-token", "-q", "manager"]),
        client(m, ["join-token", "-q", "worker"]),
      ]);
      return { manager, worker };
    },

    async join(h, token, m) {
      await inHost(h, ["join", "--token", token, ...agentFlags(h), `${m.ip}:2377`]);
    },

    async nodeLs(on, timeoutMs = 10_000) {
      return parseNodeLs(await client(on, ["node", "ls"], timeoutMs));
    },

    async createService(on, name, replicas) {
      await client(on, ["service", "create", "--detach", "--name", name, "--replicas", String(replicas), "--stop-grace-period", "1s", ...TASK]);
    },

    async write(on, name, timeoutMs) {
      await client(on, ["service", "create", "--detach", "--name", name, "--replicas", "0", ...TASK], timeoutMs);
    },

    async killAgent(_bed, h) {
      const pid = findAgentPid(h);
      if (pid === null) throw new Error(`${h.name}: no swarm agent process found to kill`);
      process.kill(pid, "SIGKILL");
      await waitUntil(`${h.name}'s agent (pid ${pid}) to die`, () => !alive(pid), 10_000, 10);
    },

    agentPid: findAgentPid,

    async clean(bed) {
      // Leave as a user would (best effort: a cluster that lost its leader may not answer), then make
      // sure nothing is left: no agent, no state, no containers.
      cleaned++;
      for (const h of bed.hosts) keepFile(`${oursPaths(h).dataDir}/agent.log`, `ours-r${cleaned}-${h.name}-agent.log`);
      await Promise.all(bed.hosts.map((h) => client(h, ["leave", "--force"], 15_000).catch(() => undefined)));
      await Promise.all(bed.hosts.map(async (h) => {
        const pid = findAgentPid(h);
        if (pid !== null) {
          process.kill(pid, "SIGKILL");
          await waitUntil(`${h.name}'s agent (pid ${pid}) to die`, () => !alive(pid), 10_000, 10);
        }
        const p = oursPaths(h);
        rmSync(p.dataDir, { recursive: true, force: true });
        if (existsSync(p.socket)) rmSync(p.socket, { force: true });
        await removeAllContainers(h);
      }));
    },
  };
}
