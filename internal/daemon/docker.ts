/** Builds a dockerode client from a DOCKER_HOST-style address and checks that the engine answers. */
import Docker from "dockerode";
import { SwarmError } from "../api/index.ts";

/**
 * The engine's API never redirects a well-formed request; a redirect means a malformed path (docker
 * cleans `//` with a 301), and dockerode would follow it to a host named after the path, failing with
 * an unhandled error event that kills the process. With no redirects allowed the call just fails.
 */
(require("docker-modem/lib/http") as { maxRedirects: number }).maxRedirects = 0;

export function dockerClient(host: string): Docker {
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) });
  const u = new URL(host.replace(/^tcp:/, "http:"));
  return new Docker({ host: u.hostname, port: Number(u.port || 2375), protocol: "http" });
}

export interface EngineFacts {
  hostname: string;
  os: string;
  arch: string;
  nanoCpus: number;
  memoryBytes: number;
  version: string;
}

/** Asks the engine who it is; a SwarmError UNAVAILABLE that says how to fix it when it does not answer. */
export async function engineFacts(docker: Docker, host: string): Promise<EngineFacts> {
  try {
    const [info, version] = await Promise.all([docker.info(), docker.version()]);
    return {
      hostname: info.Name,
      os: info.OSType ?? "linux",
      arch: info.Architecture ?? process.arch,
      nanoCpus: (info.NCPU ?? 1) * 1e9,
      memoryBytes: info.MemTotal ?? 0,
      version: version.Version,
    };
  } catch (err) {
    throw SwarmError.unavailable(
      `cannot reach Docker at ${host} (${(err as Error).message}): start dockerd, or point --docker-host / DOCKER_HOST at it`,
    );
  }
}
