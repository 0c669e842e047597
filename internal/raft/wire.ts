// Validation of Raft messages that arrive from the network. The transport decodes a frame (msgpackr) into
// plain data; parseMessage() checks that it is a well-formed Message before anything hands it to the core,
// which trusts its input (it indexes arrays by these numbers and keeps these strings). Contract: returns a
// fresh Message holding only the known fields, or null for anything malformed; never throws.
import { EntryType, MsgType } from "./types.ts";
import type { ConfState, Entry, Message, NodeId, Snapshot } from "./types.ts";

/** Longest node id accepted (the cluster uses 64 hex characters). */
export const MAX_NODE_ID_CHARS = 128;
/** Most entries in one append (the leader sends maxEntriesPerMsg, 256 by default). */
export const MAX_WIRE_ENTRIES = 65_536;
/** Most members listed in a snapshot's configuration. */
export const MAX_WIRE_MEMBERS = 1_000;

const MSG_TYPES = new Set<number>(Object.values(MsgType));
const ENTRY_TYPES = new Set<number>(Object.values(EntryType));

type Obj = Record<string, unknown>;

function plain(x: unknown): x is Obj {
  if (typeof x !== "object" || x === null || Array.isArray(x) || x instanceof Uint8Array) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}
const uint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const nodeId = (v: unknown): v is NodeId => typeof v === "string" && v.length > 0 && v.length <= MAX_NODE_ID_CHARS;
const bytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function parseConf(x: unknown): ConfState | null {
  if (!plain(x)) return null;
  const list = (v: unknown): NodeId[] | null =>
    Array.isArray(v) && v.length <= MAX_WIRE_MEMBERS && v.every(nodeId) ? [...(v as NodeId[])] : null;
  const voters = list(x.voters), learners = list(x.learners);
  return voters && learners ? { voters, learners } : null;
}

function parseEntry(x: unknown): Entry | null {
  if (!plain(x) || !uint(x.index) || !uint(x.term) || !uint(x.type) || !ENTRY_TYPES.has(x.type) || !bytes(x.data)) return null;
  return { index: x.index, term: x.term, type: x.type as EntryType, data: x.data };
}

function parseSnapshot(x: unknown): Snapshot | null {
  if (!plain(x) || !uint(x.index) || !uint(x.term) || !bytes(x.data)) return null;
  const conf = parseConf(x.conf);
  return conf ? { index: x.index, term: x.term, conf, data: x.data } : null;
}

/** Which optional fields each message type needs (the core reads them without checking). */
const REQUIRED: Record<MsgType, readonly (keyof Message)[]> = {
  [MsgType.PreVote]: ["index", "logTerm"],
  [MsgType.PreVoteResp]: [],
  [MsgType.Vote]: ["index", "logTerm"],
  [MsgType.VoteResp]: [],
  [MsgType.App]: ["index", "logTerm", "commit"],
  [MsgType.AppResp]: ["index"],
  [MsgType.Heartbeat]: ["commit"],
  [MsgType.HeartbeatResp]: [],
  [MsgType.Snap]: ["snapshot", "offset", "total"],
  [MsgType.TimeoutNow]: [],
  [MsgType.ReadIndex]: ["ctx"],
  [MsgType.ReadIndexResp]: ["ctx", "index"],
  [MsgType.SnapAck]: ["index", "offset"],
};

/** A decoded wire body → a Message, or null if it is not a well-formed one. */
export function parseMessage(x: unknown): Message | null {
  try {
    return parse(x);
  } catch {
    return null; // getters or proxies in hostile input: not plain data
  }
}

function parse(x: unknown): Message | null {
  if (!plain(x)) return null;
  if (!uint(x.type) || !MSG_TYPES.has(x.type) || !nodeId(x.from) || !nodeId(x.to) || !uint(x.term)) return null;
  const type = x.type as MsgType;
  const m: { -readonly [K in keyof Message]: Message[K] } = { type, from: x.from, to: x.to, term: x.term };
  for (const k of ["index", "logTerm", "commit", "rejectHint", "ctx", "offset", "total"] as const) {
    if (x[k] === undefined) continue;
    if (!uint(x[k])) return null;
    m[k] = x[k];
  }
  for (const k of ["reject", "transfer"] as const) {
    if (x[k] === undefined) continue;
    if (typeof x[k] !== "boolean") return null;
    m[k] = x[k];
  }
  if (x.entries !== undefined) {
    if (!Array.isArray(x.entries) || x.entries.length > MAX_WIRE_ENTRIES) return null;
    const entries: Entry[] = [];
    for (const e of x.entries) {
      const p = parseEntry(e);
      if (!p) return null;
      entries.push(p);
    }
    m.entries = entries;
  }
  if (x.snapshot !== undefined) {
    const s = parseSnapshot(x.snapshot);
    if (!s) return null;
    m.snapshot = s;
  }
  for (const k of REQUIRED[type]) if (m[k] === undefined) return null;
  if (type === MsgType.AppResp && m.reject && m.rejectHint === undefined) return null;
  if (type === MsgType.App) {
    // entries follow (index, logTerm) contiguously, with terms that never decrease nor exceed the sender's
    if (m.logTerm! > m.term) return null;
    let prevTerm = m.logTerm!;
    for (let k = 0; k < (m.entries?.length ?? 0); k++) {
      const e = m.entries![k]!;
      if (e.index !== m.index! + 1 + k || e.term < prevTerm || e.term > m.term) return null;
      prevTerm = e.term;
    }
  }
  if (type === MsgType.Snap && m.offset! + m.snapshot!.data.length > m.total!) return null;
  return m;
}
