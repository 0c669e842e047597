// Configuration of the pure core (in ticks) and of the runner (in milliseconds).
import { RaftError } from "./errors.ts";

export interface CoreConfig {
  /** Followers start an election after electionTicks..2*electionTicks-1 ticks without hearing a leader
   * (randomized so candidates rarely split the vote). Leaders step down (check-quorum) if they have not
   * heard from a quorum within electionTicks. */
  electionTicks: number;
  /** A leader sends heartbeats every heartbeatTicks; must be well below electionTicks. */
  heartbeatTicks: number;
  /** Entries per append message (batching). */
  maxEntriesPerMsg: number;
  /** Payload bytes per append message: entries stop there (a single larger entry still goes alone). */
  maxBytesPerMsg: number;
  /** A snapshot travels in chunks of at most this many bytes of state, so no message is much larger. */
  snapshotChunkBytes: number;
  /** Snapshot chunks sent ahead of the follower's acknowledgement (one snapshot per follower at a time). */
  snapshotChunksInFlight: number;
  /** Append messages in flight per follower before waiting for acks (pipelining window). */
  maxInflightMsgs: number;
  /** Pre-vote: a candidate first asks whether it could win, so a partitioned node rejoining does not
   * bump everyone's term. */
  preVote: boolean;
  /** Check-quorum: a leader that cannot reach a quorum steps down, and nodes that heard from a leader
   * recently ignore vote requests (the leader lease). */
  checkQuorum: boolean;
}

export function defaultCoreConfig(): CoreConfig {
  return {
    electionTicks: 10, // with the runner's 100 ms tick: failure detected in 1-2 s
    heartbeatTicks: 1, // one heartbeat per tick keeps followers' leases fresh on lossy links
    maxEntriesPerMsg: 256, // bounds message size; a few hundred small commands per frame
    maxBytesPerMsg: 1024 * 1024, // with maxEntriesPerMsg: no append much above 1 MiB unless one entry is
    snapshotChunkBytes: 512 * 1024, // a chunk and its envelope stay well under 1 MiB
    snapshotChunksInFlight: 4, // 2 MiB ahead: keeps a LAN busy without queueing the whole state
    maxInflightMsgs: 64, // enough to keep a LAN pipe full without unbounded buffering
    preVote: true,
    checkQuorum: true,
  };
}

export function validateCoreConfig(c: CoreConfig): CoreConfig {
  const int = (v: number, min: number, name: string) => {
    if (!Number.isInteger(v) || v < min) throw RaftError.invalidConfig(`${name} must be an integer >= ${min}, got ${v}`);
  };
  int(c.electionTicks, 2, "electionTicks");
  int(c.heartbeatTicks, 1, "heartbeatTicks");
  int(c.maxEntriesPerMsg, 1, "maxEntriesPerMsg");
  int(c.maxInflightMsgs, 1, "maxInflightMsgs");
  int(c.maxBytesPerMsg, 1, "maxBytesPerMsg");
  int(c.snapshotChunkBytes, 1, "snapshotChunkBytes");
  int(c.snapshotChunksInFlight, 1, "snapshotChunksInFlight");
  if (c.heartbeatTicks >= c.electionTicks) {
    throw RaftError.invalidConfig(`heartbeatTicks (${c.heartbeatTicks}) must be below electionTicks (${c.electionTicks})`);
  }
  return c;
}

/** The runner's configuration: wall-clock settings around the core's ticks. */
export interface RunnerConfig {
  /** Milliseconds per tick. With electionTicks 10, followers notice a dead leader after 0.75-1.5 s and
   * elect a new one well within 2 s on a LAN (Docker Swarm's defaults take 10-20 s). */
  tickMs: number;
  /** A proposal or read that has not completed by then fails with RaftError(Timeout). */
  requestTimeoutMs: number;
  /** Take a snapshot and compact the log after this many applied entries. */
  snapshotEntries: number;
}

export function defaultRunnerConfig(): RunnerConfig {
  return { tickMs: 75, requestTimeoutMs: 5000, snapshotEntries: 10_000 };
}

export function validateRunnerConfig(c: RunnerConfig): RunnerConfig {
  if (!(c.tickMs >= 1)) throw RaftError.invalidConfig(`tickMs must be >= 1, got ${c.tickMs}`);
  if (!(c.requestTimeoutMs >= 1)) throw RaftError.invalidConfig(`requestTimeoutMs must be >= 1, got ${c.requestTimeoutMs}`);
  if (!Number.isInteger(c.snapshotEntries) || c.snapshotEntries < 1) {
    throw RaftError.invalidConfig(`snapshotEntries must be an integer >= 1, got ${c.snapshotEntries}`);
  }
  return c;
}
