// Receive half of a UDX stream (pure state, no I/O, no clocks).
// Contract: the stream adapter feeds every DATA/END packet to `onPacket`; the result says which
// payloads became deliverable in order and whether EOF was reached. After every DATA/END packet the
// adapter must send one ACK built from `ack` and `sackBlocks()` (libudx acks every packet at once).

import { DEFAULT_RWND, MAX_SACKS, seqAdd, seqDiff, FLAG_DATA, FLAG_END } from './packet.ts'

interface Held {
  type: number
  payload: Uint8Array
}

export interface ReceiveResult {
  /** Payloads now deliverable in order (may be empty). */
  deliver: Uint8Array[]
  /** True when the END packet became deliverable (EOF) during this call. */
  ended: boolean
}

/** Out-of-order packets further ahead than this are dropped (still acked): bounds memory against
 * forged sequence numbers. Well above any window a sender may use (4 MiB / ~1.1 KiB payloads). */
export const MAX_AHEAD = 16384

export class Receiver {
  /** Next expected seq (cumulative ack sent to the peer). */
  ack: number
  /** Out-of-order packets at or above `ack`, keyed by seq. */
  private held = new Map<number, Held>()
  /** Sorted, disjoint [start, end) ranges of held seqs (relative order from `ack`). */
  private ranges: number[] = []
  ended = false
  bytesReceived = 0
  packetsReceived = 0
  /** Payload bytes of the out-of-order packets held. */
  heldBytes = 0

  /**
   * @param maxHeldBytes out-of-order payload held at most: the receive window we advertise (a
   * sender that respects it never has more in flight), so a forger cannot make us hold more. Packets
   * beyond it are dropped, not SACKed, and retransmitted by an honest sender.
   */
  constructor(
    initialAck = 0,
    private readonly maxHeldBytes = DEFAULT_RWND,
    /** Blocks per ACK: libudx's 50 by default; the engine uses MAX_ACK_SACKS. */
    private readonly maxSacks = MAX_SACKS
  ) {
    this.ack = initialAck >>> 0
  }

  /** Number of out-of-order packets buffered. */
  get pending(): number {
    return this.held.size
  }

  onPacket(seq: number, type: number, payload: Uint8Array): ReceiveResult {
    const deliver: Uint8Array[] = []
    const d = seqDiff(seq, this.ack)
    if (d < 0 || this.ended) return { deliver, ended: false } // duplicate of something delivered
    this.packetsReceived++
    if (d > 0) {
      if (d < MAX_AHEAD && !this.held.has(seq) && this.heldBytes + payload.length <= this.maxHeldBytes) {
        // A copy: the payload may be a view of a larger receive buffer we must not pin.
        this.held.set(seq, { type, payload: payload.slice() })
        this.heldBytes += payload.length
        this.addRange(seq)
      }
      return { deliver, ended: false }
    }
    let ended = this.take(type, payload, deliver)
    while (!ended && this.held.size > 0) {
      const next = this.held.get(this.ack)
      if (next === undefined) break
      this.held.delete(this.ack)
      this.heldBytes -= next.payload.length
      ended = this.take(next.type, next.payload, deliver)
    }
    this.trimRanges()
    if (ended) {
      this.ended = true
      this.held.clear()
      this.heldBytes = 0
      this.ranges = []
    }
    return { deliver, ended }
  }

  /** SACK blocks as a flat [start, end, start, end...] list, ascending, the lowest `maxSacks`. */
  sackBlocks(): number[] {
    if (this.ranges.length <= this.maxSacks * 2) return this.ranges.slice()
    return this.ranges.slice(0, this.maxSacks * 2)
  }

  private take(type: number, payload: Uint8Array, deliver: Uint8Array[]): boolean {
    this.ack = seqAdd(this.ack, 1)
    if (type & FLAG_DATA && payload.length > 0) {
      deliver.push(payload)
      this.bytesReceived += payload.length
    }
    return (type & FLAG_END) !== 0
  }

  private addRange(seq: number): void {
    const r = this.ranges
    const rel = seqDiff(seq, this.ack)
    // find first range whose end (relative) >= rel
    let i = 0
    while (i < r.length && seqDiff(r[i + 1], this.ack) < rel) i += 2
    if (i < r.length && seqDiff(r[i], this.ack) <= rel && rel < seqDiff(r[i + 1], this.ack)) return
    const touchesPrev = i < r.length && seqDiff(r[i + 1], this.ack) === rel
    const touchesNext = i < r.length && !touchesPrev && seqDiff(r[i], this.ack) === rel + 1
    if (touchesPrev) {
      r[i + 1] = seqAdd(seq, 1)
      if (i + 2 < r.length && r[i + 2] === r[i + 1]) r.splice(i + 1, 2) // merge with following
    } else if (touchesNext) {
      r[i] = seq
    } else {
      r.splice(i, 0, seq, seqAdd(seq, 1))
    }
  }

  private trimRanges(): void {
    const r = this.ranges
    let drop = 0
    while (drop < r.length && seqDiff(r[drop + 1], this.ack) <= 0) drop += 2
    if (drop > 0) r.splice(0, drop)
    if (r.length > 0 && seqDiff(r[0], this.ack) < 0) r[0] = this.ack
  }
}
