// Follower side of chunked snapshots: reassembles the chunks of one snapshot (in any order, duplicates
// ignored) until every byte is there. Holds at most one partial snapshot; the core discards it when the
// term changes and after a silence (tick). Pure; owned by the core.
import type { Message, Snapshot } from "./types.ts";

interface Partial {
  index: number;
  term: number;
  conf: Snapshot["conf"];
  total: number;
  /** Chunks past `held`, by offset. */
  ahead: Map<number, Uint8Array>;
  /** Chunks covering [0, held), in order. */
  pieces: Uint8Array[];
  held: number;
  idleTicks: number;
}

export class SnapshotAssembler {
  private p: Partial | null = null;

  /** Bytes held from the start of the snapshot being received (0 if none). */
  get held(): number {
    return this.p?.held ?? 0;
  }

  /** Add one Snap chunk. Returns the whole snapshot once complete; null while incomplete or if the chunk
   * belongs to an older snapshot than the one being assembled (ignored). */
  add(m: Message): Snapshot | null {
    const s = m.snapshot!;
    const offset = m.offset ?? 0;
    const total = m.total ?? s.data.length;
    let p = this.p;
    if (p && s.index < p.index) return null; // a late chunk of a snapshot we already moved past
    if (!p || p.index !== s.index || p.term !== s.term || p.total !== total) {
      p = this.p = { index: s.index, term: s.term, conf: s.conf, total, ahead: new Map(), pieces: [], held: 0, idleTicks: 0 };
    }
    p.idleTicks = 0;
    if (offset + s.data.length > total || (s.data.length === 0 && total > 0)) return null;
    if (offset >= p.held && !p.ahead.has(offset)) p.ahead.set(offset, s.data);
    for (let c = p.ahead.get(p.held); c !== undefined; c = p.ahead.get(p.held)) {
      p.ahead.delete(p.held);
      p.pieces.push(c);
      p.held += c.length;
      if (c.length === 0) break; // the single empty chunk of an empty snapshot
    }
    if (p.held < p.total || (p.total === 0 && p.pieces.length === 0)) return null;
    const data = new Uint8Array(p.total);
    let at = 0;
    for (const c of p.pieces) data.set(c, at), (at += c.length);
    this.p = null;
    return { index: p.index, term: p.term, conf: p.conf, data };
  }

  /** Drop any partial snapshot. */
  reset(): void {
    this.p = null;
  }

  /** One tick without chunks; a partial snapshot idle for `limit` ticks is discarded. */
  tick(limit: number): void {
    if (this.p && ++this.p.idleTicks >= limit) this.p = null;
  }
}
