// Typed errors of the raft component. Callers branch on `code`, never on the message text.
import type { NodeId } from "./types.ts";

export const RaftErrorCode = {
  NotLeader: "RAFT_NOT_LEADER",
  LeadershipLost: "RAFT_LEADERSHIP_LOST",
  Timeout: "RAFT_TIMEOUT",
  Stopped: "RAFT_STOPPED",
  InvalidConfig: "RAFT_INVALID_CONFIG",
  ConfChangePending: "RAFT_CONF_CHANGE_PENDING",
  ConfChangeInvalid: "RAFT_CONF_CHANGE_INVALID",
  LearnerNotCaughtUp: "RAFT_LEARNER_NOT_CAUGHT_UP",
  TransferInProgress: "RAFT_TRANSFER_IN_PROGRESS",
  StorageCorrupt: "RAFT_STORAGE_CORRUPT",
} as const;
export type RaftErrorCode = (typeof RaftErrorCode)[keyof typeof RaftErrorCode];

export class RaftError extends Error {
  override readonly name = "RaftError";
  constructor(
    readonly code: RaftErrorCode,
    message: string,
    /** For NotLeader: the leader this node knows of, if any (retry there). */
    readonly leaderId: NodeId | null = null,
  ) {
    super(message);
  }

  static notLeader(leaderId: NodeId | null): RaftError {
    const where = leaderId ? `send it to the leader ${leaderId}` : "no leader is known yet; retry shortly";
    return new RaftError(RaftErrorCode.NotLeader, `this node is not the Raft leader: ${where}`, leaderId);
  }
  static leadershipLost(): RaftError {
    return new RaftError(
      RaftErrorCode.LeadershipLost,
      "leadership changed before the request committed; it may or may not have been applied — read back before retrying",
    );
  }
  static timeout(ms: number): RaftError {
    return new RaftError(
      RaftErrorCode.Timeout,
      `no commit within ${ms} ms; the request may still be applied — check quorum connectivity and read back before retrying`,
    );
  }
  static stopped(): RaftError {
    return new RaftError(RaftErrorCode.Stopped, "the raft node is stopped; start a new one to continue");
  }
  static invalidConfig(why: string): RaftError {
    return new RaftError(RaftErrorCode.InvalidConfig, `invalid raft configuration: ${why}`);
  }
  static confChangePending(): RaftError {
    return new RaftError(
      RaftErrorCode.ConfChangePending,
      "another membership change is not committed yet (changes go one at a time); retry when it commits",
    );
  }
  static confChangeInvalid(why: string): RaftError {
    return new RaftError(RaftErrorCode.ConfChangeInvalid, `invalid membership change: ${why}`);
  }
  static learnerNotCaughtUp(id: NodeId): RaftError {
    return new RaftError(
      RaftErrorCode.LearnerNotCaughtUp,
      `learner ${id} has not caught up with the leader's log; wait for it to replicate and retry the promotion`,
    );
  }
  static transferInProgress(): RaftError {
    return new RaftError(
      RaftErrorCode.TransferInProgress,
      "leadership is being transferred; retry on the new leader in a moment",
    );
  }
  static storageCorrupt(why: string): RaftError {
    return new RaftError(
      RaftErrorCode.StorageCorrupt,
      `raft storage is corrupt: ${why}; restore this manager from a peer (remove and re-add it)`,
    );
  }
}
