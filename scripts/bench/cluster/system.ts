/**
 * What the scenario needs from a cluster system: Docker Swarm (docker-swarm.ts) and ours (ours.ts)
 * both implement it with their own CLI on the same test-bed hosts. Every method throws
 * CommandFailed with the command's output when the system refuses.
 */
import type { Testbed, TestbedHost } from "../../../test/testbed/index.ts";
import type { NodeRow } from "./table.ts";

export interface JoinTokens {
  manager: string;
  worker: string;
}

export interface ClusterSystem {
  /** Column title in the report. */
  readonly name: string;
  /** The container label whose value is the service name (how the engines' view is counted). */
  readonly serviceLabel: string;
  /** Creates a one-manager cluster on `h` (advertising h.ip). Not timed. */
  init(h: TestbedHost): Promise<void>;
  /** `join-token -q manager|worker`, asked of a manager. */
  joinTokens(manager: TestbedHost): Promise<JoinTokens>;
  /** `join` on `h` through `manager`; resolves when the join command returned successfully. */
  join(h: TestbedHost, token: string, manager: TestbedHost): Promise<void>;
  /** `node ls` asked of `on` (a manager). */
  nodeLs(on: TestbedHost, timeoutMs?: number): Promise<NodeRow[]>;
  /** `service create --detach --replicas N NAME swarm-busybox sleep 86400` asked of `on`. */
  createService(on: TestbedHost, name: string, replicas: number): Promise<void>;
  /**
   * One write: creates service `name` with 0 replicas on `on`. Resolves once `on` accepted it;
   * throws if it refused or did not answer within timeoutMs.
   */
  write(on: TestbedHost, name: string, timeoutMs: number): Promise<void>;
  /** The control plane of `h` dies at once (SIGKILL): ours' agent; for Docker Swarm, dockerd. */
  killAgent(bed: Testbed, h: TestbedHost): Promise<void>;
  /** Pid of `h`'s control-plane process (ours' agent; Docker's dockerd), or null if none runs. */
  agentPid(h: TestbedHost): number | null;
  /**
   * Leaves the cluster on every host and removes what this system left (state, containers), so
   * the other system starts from clean engines. Every host must be powered and its engine up.
   */
  clean(bed: Testbed): Promise<void>;
}

/** A CLI command that exited non-zero (or timed out: code 124). */
export class CommandFailed extends Error {
  constructor(readonly argv: readonly string[], readonly code: number, readonly output: string) {
    super(`\`${argv.join(" ")}\` ${code === 124 ? "timed out" : `exited ${code}`}: ${output.trim().split("\n")[0] ?? ""}`);
  }
}
