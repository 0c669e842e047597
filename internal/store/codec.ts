/**
 * Wire and disk encoding of log entries and snapshots: msgpackr without shared record structures, so
 * every blob decodes on its own (another process, another node, a later version).
 */
import { Packr } from "msgpackr";
import type { ClusterState, Command } from "../api/index.ts";

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** One proposal = one log entry = one Command[], applied atomically. */
export function encodeCommands(cmds: readonly Command[]): Uint8Array {
  return packr.pack(cmds);
}

/** Decodes a log entry's data. Anything that is not an array of objects decodes to [] (a no-op). */
export function decodeCommands(data: Uint8Array): Command[] {
  let v: unknown;
  try {
    v = packr.unpack(data);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  return v.filter((c): c is Command => c !== null && typeof c === "object" && typeof c.kind === "string");
}

/** What a snapshot holds: the state and the log position it reflects. */
export interface SnapshotBody {
  v: 1;
  appliedIndex: number;
  appliedTerm: number;
  state: ClusterState;
}

export function encodeSnapshot(body: SnapshotBody): Uint8Array {
  return packr.pack(body);
}

export function decodeSnapshot(data: Uint8Array): SnapshotBody {
  const v = packr.unpack(data) as SnapshotBody;
  if (!v || v.v !== 1 || typeof v.appliedIndex !== "number" || !v.state) {
    throw new Error("snapshot has an unknown format");
  }
  return v;
}

/** CRC-32 over an entry's position and bytes: detects a corrupt or misplaced entry. */
export function entryChecksum(index: number, term: number, data: Uint8Array): number {
  const head = new Uint8Array(16);
  const view = new DataView(head.buffer);
  view.setFloat64(0, index);
  view.setFloat64(8, term);
  const buf = new Uint8Array(16 + data.byteLength);
  buf.set(head, 0);
  buf.set(data, 16);
  return Bun.hash.crc32(buf);
}
