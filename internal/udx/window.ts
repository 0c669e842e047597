// The sender's retransmission window: packets from snd.una to snd.nxt, in seq order, with the
// counters the sender core needs (pipe = packets believed in the network). Pure data structure.

import { seqAdd, seqDiff } from './packet.ts'

export interface OutPacket {
  seq: number
  /** FLAG_DATA and/or FLAG_END. */
  type: number
  /** Full datagram: HEADER_SIZE bytes (filled at each transmission) + payload. */
  buf: Uint8Array
  /** Payload bytes. */
  size: number
  sentAt: number
  transmits: number
  rtoCount: number
  sacked: boolean
  lost: boolean
  acked: boolean
  /** Currently counted as an outstanding retransmission. */
  retrans: boolean
  /** Ever retransmitted (its RTT samples are ambiguous: Karn's rule). */
  everRetransmitted: boolean
  /** MTU probe: zero bytes of padding after the header (data_offset); 0 = a normal packet. */
  padding: number
  /** IP size this packet probes for, 0 when it is no probe. */
  probeSize: number
  // delivery-rate sampling state at the last transmission (libudx udx_rate.c)
  deliveredAtSend: number
  deliveredBytesAtSend: number
  deliveredTsAtSend: number
  firstSentTsAtSend: number
  appLimitedAtSend: boolean
}

export class Window {
  una: number
  nxt: number
  private arr: OutPacket[] = []
  private headIdx = 0
  pipe = 0
  sackedCount = 0
  retransOutstanding = 0
  outstandingBytes = 0

  constructor(initialSeq: number) {
    this.una = initialSeq
    this.nxt = initialSeq
  }

  get size(): number {
    return this.arr.length - this.headIdx
  }

  create(type: number, buf: Uint8Array, size: number): OutPacket {
    return {
      seq: this.nxt, type, buf, size, sentAt: 0, transmits: 0, rtoCount: 0,
      sacked: false, lost: false, acked: false, retrans: false, everRetransmitted: false,
      padding: 0, probeSize: 0, deliveredAtSend: 0, deliveredBytesAtSend: 0, deliveredTsAtSend: -1, firstSentTsAtSend: 0, appLimitedAtSend: false
    }
  }

  push(p: OutPacket): void {
    this.arr.push(p)
    this.nxt = seqAdd(this.nxt, 1)
    this.outstandingBytes += p.size
  }

  head(): OutPacket | null {
    return this.headIdx < this.arr.length ? this.arr[this.headIdx] : null
  }

  get(seq: number): OutPacket | null {
    const i = seqDiff(seq, this.una)
    if (i < 0 || i >= this.size) return null
    return this.arr[this.headIdx + i]
  }

  /** Remove the head packet (cumulatively acked). */
  shift(): OutPacket {
    const p = this.arr[this.headIdx++]
    if (!p.sacked && !p.lost) this.pipe--
    if (p.sacked) this.sackedCount--
    if (p.retrans) this.retransOutstanding--
    this.outstandingBytes -= p.size
    p.acked = true
    p.retrans = false
    this.una = seqAdd(this.una, 1)
    if (this.headIdx === this.arr.length) {
      this.arr = []
      this.headIdx = 0
    } else if (this.headIdx > 1024 && this.headIdx * 2 > this.arr.length) {
      this.arr = this.arr.slice(this.headIdx)
      this.headIdx = 0
    }
    return p
  }

  onTransmit(p: OutPacket): void {
    if (p.transmits === 1) this.pipe++
  }

  markSacked(p: OutPacket): void {
    p.sacked = true
    this.sackedCount++
    if (!p.lost) this.pipe--
    if (p.retrans) {
      this.retransOutstanding--
      p.retrans = false
    }
  }

  markLost(p: OutPacket): void {
    if (p.lost) return
    p.lost = true
    this.pipe--
    if (p.retrans) {
      this.retransOutstanding--
      p.retrans = false
    }
  }

  markRetransmitted(p: OutPacket): void {
    p.lost = false
    p.retrans = true
    p.everRetransmitted = true
    this.retransOutstanding++
    this.pipe++
  }

  forEachOutstanding(fn: (p: OutPacket) => void): void {
    for (let i = this.headIdx; i < this.arr.length; i++) fn(this.arr[i])
  }

  /** Highest-seq packet that is neither SACKed nor waiting for retransmission (TLP's resend). */
  lastInFlight(): OutPacket | null {
    for (let i = this.arr.length - 1; i >= this.headIdx; i--) {
      const p = this.arr[i]
      if (!p.sacked && !p.lost && p.transmits > 0) return p
    }
    return null
  }

  lastUnsacked(): OutPacket | null {
    for (let i = this.arr.length - 1; i >= this.headIdx; i--) if (!this.arr[i].sacked) return this.arr[i]
    return null
  }
}
