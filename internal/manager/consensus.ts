/**
 * The store's Consensus on a manager (docs/cluster.md "Raft drives the store"): on the leader a
 * proposal goes straight into Raft; on a follower it is forwarded to the leader (`manager.propose`)
 * and answered once this manager has applied it too, so a client reads its own write on any manager.
 *
 * Retries: an attempt whose outcome is unknown (a timeout, a leader change, a lost connection) is
 * retried with the same bytes — the store's request ID makes the state machine apply it once. With no
 * leader for `noLeaderWaitMs`, the write fails with NO_LEADER: a manager without quorum answers within
 * a few seconds and never acknowledges anything that did not commit.
 */
import { SwarmError } from "../api/index.ts";
import { RaftError, RaftErrorCode, type RaftNode } from "../raft/index.ts";
import { decodeProposal, type ClusterStateMachine, type Consensus } from "../store/index.ts";
import { isTransportError, type ClusterTransport } from "../transport/index.ts";
import { validateCommands } from "./validate.ts";

export const PROPOSE_CHANNEL = "manager.propose";

export interface ConsensusOptions {
  /** How long a write waits for a leader to exist before NO_LEADER. */
  noLeaderWaitMs?: number;
  /** One attempt (Raft commit, or a forwarded request) gives up after this. */
  attemptTimeoutMs?: number;
  /** The whole write gives up after this (outcome unknown: say so). */
  totalTimeoutMs?: number;
}

export class ManagerConsensus implements Consensus {
  private readonly noLeaderWaitMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly totalTimeoutMs: number;
  private unregister: () => void;

  constructor(
    private readonly raft: RaftNode,
    private readonly transport: ClusterTransport,
    private readonly machine: ClusterStateMachine,
    o: ConsensusOptions = {},
  ) {
    this.noLeaderWaitMs = o.noLeaderWaitMs ?? 3000;
    this.attemptTimeoutMs = o.attemptTimeoutMs ?? 3000;
    this.totalTimeoutMs = o.totalTimeoutMs ?? 10_000;
    // The leader's side of forwarding: followers send their proposals here.
    this.unregister = transport.handle(
      PROPOSE_CHANNEL,
      async (body: unknown) => {
        const data = (body as { data?: unknown } | null)?.data;
        if (!(data instanceof Uint8Array)) throw new SwarmError("INVALID_ARGUMENT", "manager.propose needs {data: bytes}");
        const p = decodeProposal(data);
        validateCommands(p.cmds);
        if (!this.raft.isLeader) throw new SwarmError("NOT_LEADER", `not the leader; the leader is ${this.raft.leaderId ?? "unknown"}`);
        return { index: await this.raft.propose(data, this.attemptTimeoutMs) };
      },
      { accept: ["manager"], maxBytes: 4 * 1024 * 1024 },
    );
  }

  close(): void {
    this.unregister();
  }

  async propose(data: Uint8Array): Promise<number> {
    const start = Date.now();
    let leaderlessSince: number | undefined;
    let lastError: unknown;
    for (;;) {
      const now = Date.now();
      if (now - start >= this.totalTimeoutMs) {
        throw SwarmError.unavailable(
          `the write did not commit within ${this.totalTimeoutMs / 1000} s (${errText(lastError)}); it may still be applied — read the state back before retrying`,
        );
      }
      const left = this.totalTimeoutMs - (now - start);
      const timeout = Math.min(this.attemptTimeoutMs, left);
      const leader = this.raft.leaderId;
      if (leader === null || (leader !== this.transport.self && !this.transport.isConnected(leader))) {
        leaderlessSince ??= now;
        if (now - leaderlessSince >= this.noLeaderWaitMs) throw SwarmError.noLeader(now - leaderlessSince);
        await Bun.sleep(25);
        continue;
      }
      leaderlessSince = undefined;
      try {
        if (leader === this.transport.self) return await this.raft.propose(data, timeout);
        const r = (await this.transport.request(leader, PROPOSE_CHANNEL, { data }, { timeoutMs: timeout })) as { index?: unknown };
        if (typeof r?.index !== "number") throw new SwarmError("INTERNAL", "the leader answered manager.propose without an index");
        await this.waitApplied(r.index, Math.max(1, this.totalTimeoutMs - (Date.now() - start)));
        return r.index;
      } catch (e) {
        lastError = e;
        if (!retryable(e)) throw mapError(e);
        if (e instanceof RaftError && e.code === RaftErrorCode.Stopped) throw mapError(e);
        await Bun.sleep(10);
      }
    }
  }

  /** Resolves once this manager's state machine has applied `index` (or after `ms`, applied or not). */
  private async waitApplied(index: number, ms: number): Promise<void> {
    if (this.machine.appliedIndex >= index) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const unsubscribe = this.machine.subscribe(() => {
        if (this.machine.appliedIndex >= index) done();
      });
      function done() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }
}

/** Whether trying again (same bytes) is safe and may succeed. */
function retryable(e: unknown): boolean {
  if (e instanceof RaftError) {
    return e.code === RaftErrorCode.NotLeader || e.code === RaftErrorCode.LeadershipLost || e.code === RaftErrorCode.Timeout || e.code === RaftErrorCode.TransferInProgress;
  }
  if (isTransportError(e)) {
    if (e.code === "TIMEOUT" || e.code === "PEER_GONE") return true;
    if (e.code === "REMOTE_ERROR") return e.remoteCode === "NOT_LEADER" || (e.remoteCode ?? "").startsWith("RAFT_");
  }
  return false;
}

function mapError(e: unknown): Error {
  if (e instanceof SwarmError) return e;
  if (isTransportError(e) && e.code === "REMOTE_ERROR" && e.remoteCode === "INVALID_ARGUMENT") return SwarmError.invalid(e.message);
  if (e instanceof RaftError && e.code === RaftErrorCode.Stopped) return SwarmError.unavailable("this manager's Raft node has stopped; see the agent log and restart the agent");
  return SwarmError.unavailable(`the write failed: ${errText(e)}`);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : e === undefined ? "no attempt finished" : String(e);
}
