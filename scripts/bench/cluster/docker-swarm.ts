/**
 * Docker Swarm on the test bed: each host's own dockerd is the node (`docker swarm init` / `join`
 * against its socket). Its control plane lives inside dockerd, so "the agent" is dockerd: killing it
 * is the bed's engine crash (SIGKILL dockerd + containerd; containers keep running).
 */
import { readFileSync } from "node:fs";
import { BUSYBOX_IMAGE_REF, type Testbed, type TestbedHost } from "../../../test/testbed/index.ts";
import { alive, removeAllContainers } from "./engine.ts";
import { CommandFailed, type ClusterSystem } from "./system.ts";
import { parseNodeLs } from "./table.ts";

async function docker(h: TestbedHost, args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await h.docker(args, { timeoutMs });
  if (r.code !== 0) throw new CommandFailed(["docker", ...args], r.code, r.stderr || r.stdout);
  return r.stdout.trim();
}

/** The tasks' command: the same image and command on both sides; no registry (see --no-resolve-image). */
const TASK = [BUSYBOX_IMAGE_REF, "sleep", "86400"];

export function dockerSwarm(): ClusterSystem {
  return {
    name: "Docker Swarm",
    serviceLabel: "com.docker.swarm.service.name",

    async init(h) {
      await docker(h, ["swarm", "init", "--advertise-addr", h.ip]);
    },

    async joinTokens(m) {
      const [manager, worker] = await Promise.all([
        docker(m, ["swarm", "join-token", "-q", "manager"]),
        docker(m, ["swarm", "join-token", "-q", "worker"]),
      ]);
      return { manager, worker };
    },

    async join(h, token, m) {
      await docker(h, ["swarm", "join", "--token", token, "--advertise-addr", h.ip, `${m.ip}:2377`]);
    },

    async nodeLs(on, timeoutMs = 10_000) {
      return parseNodeLs(await docker(on, ["node", "ls"], timeoutMs));
    },

    async createService(on, name, replicas) {
      // --no-resolve-image: there is no registry on the bed (the engines also run with
      // DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 so tasks use the local image without trying one).
      await docker(on, ["service", "create", "--detach", "--no-resolve-image", "--name", name, "--replicas", String(replicas),
        "--stop-grace-period", "1s", ...TASK]);
    },

    async write(on, name, timeoutMs) {
      await docker(on, ["service", "create", "--detach", "--no-resolve-image", "--name", name, "--replicas", "0", ...TASK], timeoutMs);
    },

    async killAgent(bed, h) {
      await bed.kill(h);
    },

    agentPid(h) {
      try {
        const pid = Number(readFileSync(h.plan.pidFile, "utf8").trim());
        return pid > 0 && alive(pid) ? pid : null;
      } catch {
        return null;
      }
    },

    async clean(bed) {
      await Promise.all(bed.hosts.map(async (h) => {
        const r = await h.docker(["swarm", "leave", "--force"], { timeoutMs: 60_000 });
        if (r.code !== 0 && !/not part of a swarm/i.test(r.stderr)) {
          throw new CommandFailed(["docker", "swarm", "leave", "--force"], r.code, `${h.name}: ${r.stderr}`);
        }
        await removeAllContainers(h);
      }));
    },
  };
}
