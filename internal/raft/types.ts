// Data types shared by the Raft core, its storage and its runner. Everything here is plain data so it
// can be persisted (sqlite), sent over any transport (msgpackr frames) and compared in tests.

/** A node's id: an opaque string (the cluster layer uses its public key in hex). */
export type NodeId = string;

/** Kinds of log entries. Normal entries carry the application's opaque payload; Conf entries carry an
 * encoded ConfEntryData (see encodeConfEntry); Noop is the empty entry a new leader appends to commit its
 * predecessors' entries. */
export const EntryType = { Normal: 0, Conf: 1, Noop: 2 } as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** Cluster membership: voters elect and form quorums; learners only receive the log. Disjoint sets. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

/** One membership step (changes are applied one at a time). */
export const ConfChangeType = { AddVoter: 0, AddLearner: 1, Promote: 2, Remove: 3 } as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/** What must survive a crash besides the log: the current term, the vote cast in it, the commit index. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** A compacted prefix of the log: the application state after applying entries 1..index. */
export interface Snapshot {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
  readonly data: Uint8Array;
}

export const MsgType = {
  PreVote: 1,
  PreVoteResp: 2,
  Vote: 3,
  VoteResp: 4,
  App: 5,
  AppResp: 6,
  Heartbeat: 7,
  HeartbeatResp: 8,
  Snap: 9,
  TimeoutNow: 10,
  ReadIndex: 11,
  ReadIndexResp: 12,
  SnapAck: 13,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/** A message between two Raft nodes. Fields beyond type/from/to/term are used per type:
 * - Vote/PreVote: index,logTerm = candidate's last entry; transfer = leadership transfer (ignore lease).
 * - App: index,logTerm = entry preceding `entries`; commit = leader's commit.
 * - AppResp: index = last index now matching (or rejected index); reject + rejectHint on mismatch.
 * - Heartbeat/HeartbeatResp: commit; ctx = ReadIndex round (echoed back).
 * - Snap: one chunk of a snapshot: snapshot = {index, term, conf, data: the chunk's bytes}, offset = where
 *   the chunk starts in the snapshot's data, total = the data's whole length (chunks may arrive in any
 *   order; the follower reassembles them).
 * - SnapAck: index = the snapshot's index, offset = how many bytes from the start the follower holds.
 * - ReadIndex/ReadIndexResp: ctx = request id, index = read index. */
export interface Message {
  readonly type: MsgType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly index?: number;
  readonly logTerm?: number;
  readonly entries?: readonly Entry[];
  readonly commit?: number;
  readonly reject?: boolean;
  readonly rejectHint?: number;
  readonly snapshot?: Snapshot;
  readonly ctx?: number;
  readonly transfer?: boolean;
  readonly offset?: number;
  readonly total?: number;
}

export const Role = { Follower: "follower", PreCandidate: "pre-candidate", Candidate: "candidate", Leader: "leader" } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** A completed linearizable read: entries up to `index` must be applied before reading. */
export interface ReadState {
  readonly id: number;
  readonly index: number;
}

/** One batch of effects from the core. The caller MUST perform them in this order:
 * 1. persist `snapshot` (if any), then `entries`, then `hardState` (if any), durably;
 * 2. send `messages`;
 * 3. if `installSnapshot`, restore the state machine from `snapshot`; then apply `committed` in order.
 * Only then call `ready()` again. */
export interface Ready {
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly installSnapshot: boolean;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
  readonly readStates: readonly ReadState[];
  /** Read requests the core dropped (no leader known, or leadership changed): fail them. */
  readonly droppedReads: readonly number[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A Conf entry's payload: the change and the full configuration that results from it. A node uses the
 * configuration of the last Conf entry in its log (committed or not), as in Raft's single-server changes. */
export interface ConfEntryData {
  readonly change: ConfChange;
  readonly conf: ConfState;
}

export function encodeConfEntry(d: ConfEntryData): Uint8Array {
  return enc.encode(JSON.stringify(d));
}

export function decodeConfEntry(data: Uint8Array): ConfEntryData {
  return JSON.parse(dec.decode(data)) as ConfEntryData;
}

export const EMPTY_CONF: ConfState = { voters: [], learners: [] };
export const EMPTY_DATA = new Uint8Array(0);
