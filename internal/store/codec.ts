/**
 * Wire and disk encoding of log entries and snapshots: msgpackr without shared record structures and
 * without its extensions (no Date/Set/RegExp/BigInt/cyclic structures), so every blob decodes on its
 * own (another process, another node, a later version) into plain data.
 */
import { Packr } from "msgpackr";
import type { ClusterState, Command, Outcome } from "../api/index.ts";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false });

/**
 * One proposal = one log entry: the commands, applied atomically, and the proposer's request ID. The
 * state machine remembers recent request IDs, so a proposal retried after an unknown outcome (a
 * timeout, a leader change) is applied once.
 */
export interface Proposal {
  rid: string;
  cmds: Command[];
}

export function encodeProposal(p: Proposal): Uint8Array {
  return packr.pack({ rid: p.rid, cmds: p.cmds });
}

/** Decodes a log entry's data. Anything malformed decodes to no commands (a no-op). */
export function decodeProposal(data: Uint8Array): Proposal {
  let v: unknown;
  try {
    v = packr.unpack(data);
  } catch {
    return { rid: "", cmds: [] };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { rid: "", cmds: [] };
  const o = v as { rid?: unknown; cmds?: unknown };
  const cmds = Array.isArray(o.cmds)
    ? o.cmds.filter((c): c is Command => c !== null && typeof c === "object" && typeof (c as { kind?: unknown }).kind === "string")
    : [];
  return { rid: typeof o.rid === "string" ? o.rid : "", cmds };
}

/** What a snapshot holds: the state, the log position it reflects, and the recent request outcomes. */
export interface SnapshotBody {
  v: 2;
  appliedIndex: number;
  appliedTerm: number;
  state: ClusterState;
  requests: [string, { outcomes: Outcome[]; index: number }][];
}

export function encodeSnapshot(body: SnapshotBody): Uint8Array {
  return packr.pack(body);
}

export function decodeSnapshot(data: Uint8Array): SnapshotBody {
  const v = packr.unpack(data) as SnapshotBody;
  if (!v || v.v !== 2 || typeof v.appliedIndex !== "number" || !v.state || !Array.isArray(v.requests)) {
    throw new Error("snapshot has an unknown format");
  }
  return v;
}
