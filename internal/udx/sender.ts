// Send half of a UDX stream (state core: no I/O, no clocks; `now` is passed in, in ms).
// Contract for the adapter (stream.ts):
//   - `write(bytes)` / `end()` queue data; `pull(now)` returns the packets to transmit now
//     (new or retransmitted) and must be called after writes, acks and timer expiries;
//   - `onAck(...)` for every received packet's ack/SACK; it returns false when the ack is beyond
//     what was sent (libudx then skips the rest of that packet);
//   - `deadline()` is the next time `onTimer(now)` must run; `onTimer` returns 'timeout' when a
//     packet has timed out `maxRtoTimeouts` times (the stream must close with ETIMEDOUT).
// Loss recovery is SACK + RACK-style time-based detection + tail loss probes + RTO (fixed 2x
// re-arm like libudx). Congestion control is NewReno-style in packets; rwnd limits packets in flight
// (floor 1 while rwnd > 0); a zero window stops new data and asks for HEARTBEAT probes at rto, 2*rto.

import { FLAG_DATA, FLAG_END, HEADER_SIZE, seqAdd, seqDiff } from './packet.ts'
import { RttEstimator } from './rtt.ts'
import { Window, type OutPacket } from './window.ts'

export interface SenderConfig {
  minRtoMs: number
  maxRtoMs: number
  initialRtoMs: number
  /** A packet that timed out this many times closes the stream (libudx UDX_MAX_RTO_TIMEOUTS). */
  maxRtoTimeouts: number
  initialCwnd: number
  minCwnd: number
  maxCwnd: number
  /** Queueing delay (srtt above 2 x min RTT) at which cwnd stops growing. */
  queueDelayMs: number
  /** cwnd (packets) below which the delay signal is ignored. */
  delayFloorCwnd: number
  /** Lower bound of the tail-loss-probe timeout (timers are ms-granular; loopback srtt is ~0). */
  minTlpMs: number
}

export const DEFAULT_SENDER_CONFIG: SenderConfig = {
  minRtoMs: 1000,
  maxRtoMs: 30000,
  initialRtoMs: 1000,
  maxRtoTimeouts: 6,
  initialCwnd: 10,
  minCwnd: 4,
  maxCwnd: 4096,
  queueDelayMs: 5,
  delayFloorCwnd: 256,
  minTlpMs: 10
}

const EMPTY = Buffer.alloc(0)
// 64 KiB: ~45 full packets per allocation; each open stream holds one slab, so idle connections stay cheap.
const SLAB_SIZE = 64 << 10

/** 'probe': the peer's window is zero; the adapter must send a HEARTBEAT (zero-window probe). */
export type TimerResult = 'ok' | 'timeout' | 'probe'

export class Sender {
  readonly rtt: RttEstimator
  readonly win: Window
  /** Payload bytes per packet (set by the adapter from mtu and remote family). */
  mss: number
  rwnd = 4194304
  cwnd: number
  ssthresh = Infinity
  private cwndAcc = 0
  private inRecovery = false
  private recoverySeq = 0
  private queued: Buffer[] = []
  private queuedHead = 0
  private slab: Buffer = EMPTY
  private slabOffset = 0
  private queuedOffset = 0
  queuedBytes = 0
  private endQueued = false
  endSent = false
  endAcked = false
  private lost: OutPacket[] = []
  private rtoAt = Infinity
  private tlpAt = Infinity
  private reoAt = Infinity
  private zwpAt = Infinity
  private tlpBackoff = 1
  private rackXmit = -1
  private rackSeq = 0
  private rackRtt = 0
  /** Total payload bytes acked, and transmitted packets / retransmissions (stats). */
  bytesAcked = 0
  packetsSent = 0
  retransmits = 0
  rtoCount = 0
  fastRecoveries = 0

  constructor(
    private readonly cfg: SenderConfig = DEFAULT_SENDER_CONFIG,
    initialSeq = 0,
    mss = 1152
  ) {
    this.rtt = new RttEstimator(cfg)
    this.win = new Window(initialSeq >>> 0)
    this.cwnd = cfg.initialCwnd
    this.mss = mss
  }

  get nextSeq(): number {
    return this.win.nxt
  }

  /** Bytes sent but not yet acked (udx-native's `inflight`). */
  get inflightBytes(): number {
    return this.win.outstandingBytes
  }

  write(data: Uint8Array): void {
    if (data.length === 0 || this.endQueued) return
    this.queued.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    this.queuedBytes += data.length
  }

  end(): void {
    this.endQueued = true
  }

  /** True when nothing is queued or outstanding (everything written was acked). */
  get idle(): boolean {
    return this.queuedBytes === 0 && this.win.size === 0 && (!this.endQueued || this.endSent)
  }

  /** Packets to transmit now. Each returned packet's `buf` holds header space + payload. */
  pull(now: number): OutPacket[] {
    const out: OutPacket[] = []
    while (this.lost.length > 0 && this.win.pipe < this.cwnd) {
      const p = this.lost.shift() as OutPacket
      if (p.acked || p.sacked || !p.lost) continue
      this.win.markRetransmitted(p)
      this.transmit(p, now, out)
      this.retransmits++
    }
    const rwndPkts = this.rwnd === 0 ? 0 : Math.max(1, Math.floor(this.rwnd / this.mss))
    if (rwndPkts === 0 && this.win.size === 0 && (this.queuedBytes > 0 || (this.endQueued && !this.endSent))) {
      if (this.zwpAt === Infinity) this.zwpAt = now + this.rtt.rto
    } else this.zwpAt = Infinity
    while (!this.endSent && this.win.pipe < this.cwnd && this.win.size < rwndPkts) {
      if (this.queuedBytes === 0 && !this.endQueued) break
      const p = this.packetize()
      this.win.push(p)
      this.transmit(p, now, out)
    }
    return out
  }

  private packetize(): OutPacket {
    const n = Math.min(this.mss, this.queuedBytes)
    const buf = this.alloc(HEADER_SIZE + n)
    let off = HEADER_SIZE
    while (off < buf.length) {
      const chunk = this.queued[this.queuedHead]
      const take = Math.min(chunk.length - this.queuedOffset, buf.length - off)
      chunk.copy(buf, off, this.queuedOffset, this.queuedOffset + take)
      off += take
      this.queuedOffset += take
      if (this.queuedOffset === chunk.length) {
        this.queued[this.queuedHead++] = EMPTY
        this.queuedOffset = 0
        if (this.queuedHead === this.queued.length) {
          this.queued = []
          this.queuedHead = 0
        }
      }
    }
    this.queuedBytes -= n
    let type = n > 0 ? FLAG_DATA : 0
    if (this.queuedBytes === 0 && this.endQueued) {
      type |= FLAG_END
      this.endSent = true
    }
    return this.win.create(type, buf, n)
  }

  /** Carve packet buffers out of 64 KiB slabs (Buffer.allocUnsafe per packet is ~7x slower in Bun). */
  private alloc(n: number): Buffer {
    if (this.slabOffset + n > this.slab.length) {
      this.slab = Buffer.allocUnsafe(SLAB_SIZE)
      this.slabOffset = 0
    }
    const b = this.slab.subarray(this.slabOffset, this.slabOffset + n)
    this.slabOffset += (n + 7) & ~7
    return b
  }

  private transmit(p: OutPacket, now: number, out: OutPacket[]): void {
    p.sentAt = now
    p.transmits++
    this.win.onTransmit(p)
    this.packetsSent++
    out.push(p)
    if (this.rtoAt === Infinity) this.rtoAt = now + this.rtt.rto
    this.armTlp(now)
  }

  private armTlp(now: number): void {
    const base = this.rtt.samples === 0 ? 1000 : Math.max(2 * this.rtt.srtt, this.cfg.minTlpMs)
    this.tlpAt = now + base * this.tlpBackoff
  }

  /** Process a peer's cumulative ack, SACK blocks ([s,e) flat) and receive window. */
  onAck(ack: number, sacks: number[], rwnd: number, now: number): boolean {
    const w = this.win
    if (seqDiff(ack, w.nxt) > 0) return false
    this.rwnd = rwnd
    let newlyAcked = 0
    while (seqDiff(ack, w.una) > 0) {
      const p = w.shift()
      if (!p.sacked) {
        newlyAcked++
        this.onDelivered(p, now)
      }
      this.bytesAcked += p.size
      if (p.type & FLAG_END) this.endAcked = true
    }
    for (let i = 0; i + 1 < sacks.length; i += 2) {
      const s = sacks[i]
      const e = sacks[i + 1]
      // offsets from snd.una: only una <= s < e <= nxt is valid (modular compares alone are not
      // transitive across 2^31, and a forged block must never make this loop run away)
      const so = seqDiff(s, w.una)
      const eo = seqDiff(e, w.una)
      if (!(so >= 0 && so < eo && eo <= w.size)) continue
      for (let q = s; q !== e; q = seqAdd(q, 1)) {
        const p = w.get(q)
        if (p === null || p.sacked) continue
        w.markSacked(p)
        newlyAcked++
        this.onDelivered(p, now)
      }
    }
    if (newlyAcked > 0) {
      this.tlpBackoff = 1
      this.rtoAt = w.size > 0 ? now + this.rtt.rto : Infinity
      if (w.size > 0) this.armTlp(now)
      else this.tlpAt = Infinity
    }
    if (this.inRecovery && seqDiff(w.una, this.recoverySeq) >= 0) this.inRecovery = false
    this.detectLoss(now)
    if (newlyAcked > 0 && !this.inRecovery) this.grow(newlyAcked)
    return true
  }

  private onDelivered(p: OutPacket, now: number): void {
    if (p.transmits === 1) this.rtt.sample(now - p.sentAt)
    if (p.sentAt > this.rackXmit || (p.sentAt === this.rackXmit && seqDiff(p.seq, this.rackSeq) > 0)) {
      this.rackXmit = p.sentAt
      this.rackSeq = p.seq
      this.rackRtt = now - p.sentAt
    }
  }

  private grow(acked: number): void {
    // Delay signal (Vegas/HyStart-like): once the smoothed RTT is well above the path's minimum,
    // packets are queueing (socket buffers, a starved receiver); stop growing instead of waiting
    // for a burst of losses. libudx gets the same effect from BBR's BDP-sized cwnd.
    const r = this.rtt
    // Only above a floor of cwnd, so RTT jitter on e.g. WiFi cannot pin a slow stream's window.
    if (this.cwnd >= this.cfg.delayFloorCwnd && r.samples > 8 && r.srtt > 2 * r.minRtt + this.cfg.queueDelayMs) {
      if (this.cwnd < this.ssthresh) this.ssthresh = this.cwnd
      return
    }
    if (this.cwnd < this.ssthresh) this.cwnd += acked
    else {
      this.cwndAcc += acked
      if (this.cwndAcc >= this.cwnd) {
        this.cwndAcc -= this.cwnd
        this.cwnd++
      }
    }
    if (this.cwnd > this.cfg.maxCwnd) this.cwnd = this.cfg.maxCwnd
  }

  /** RACK: a packet sent before the most recently delivered one is lost after rackRtt + reoWnd. */
  private detectLoss(now: number): void {
    this.reoAt = Infinity
    const w = this.win
    if (w.sackedCount === 0 && w.retransOutstanding === 0) return
    const reo = Number.isFinite(this.rtt.minRtt) ? Math.max(this.rtt.minRtt / 4, 1) : 1
    let newLoss = false
    w.forEachOutstanding((p) => {
      if (p.sacked || p.lost || p.transmits === 0) return
      const before = p.sentAt < this.rackXmit || (p.sentAt === this.rackXmit && seqDiff(p.seq, this.rackSeq) < 0)
      if (!before) return
      const due = p.sentAt + this.rackRtt + reo
      if (due <= now) {
        w.markLost(p)
        this.lost.push(p)
        newLoss = true
      } else if (due < this.reoAt) this.reoAt = due
    })
    if (newLoss && !this.inRecovery) {
      this.inRecovery = true
      this.recoverySeq = w.nxt
      this.fastRecoveries++
      this.ssthresh = Math.max(Math.floor(this.cwnd / 2), this.cfg.minCwnd)
      this.cwnd = this.ssthresh
    }
  }

  deadline(): number {
    return Math.min(this.rtoAt, this.tlpAt, this.reoAt, this.zwpAt)
  }

  onTimer(now: number): TimerResult {
    const w = this.win
    if (this.zwpAt <= now) {
      this.zwpAt = now + 2 * this.rtt.rto
      return 'probe'
    }
    if (w.size === 0) {
      this.rtoAt = this.tlpAt = this.reoAt = Infinity
      return 'ok'
    }
    if (this.reoAt <= now) this.detectLoss(now)
    if (this.rtoAt <= now) {
      const head = w.head()
      if (head !== null && ++head.rtoCount >= this.cfg.maxRtoTimeouts) return 'timeout'
      this.rtoCount++
      this.ssthresh = Math.max(Math.floor(this.cwnd / 2), this.cfg.minCwnd)
      this.cwnd = this.cfg.minCwnd
      this.inRecovery = true
      this.recoverySeq = w.nxt
      this.lost = []
      w.forEachOutstanding((p) => {
        if (p.sacked || p.transmits === 0) return
        if (!p.lost) w.markLost(p)
        this.lost.push(p)
      })
      this.rtoAt = now + 2 * this.rtt.rto
      this.tlpAt = Infinity
    } else if (this.tlpAt <= now) {
      const last = w.lastUnsacked()
      if (last !== null && !last.lost) {
        w.markLost(last)
        this.lost.unshift(last)
      }
      this.tlpBackoff = Math.min(this.tlpBackoff * 2, 64)
      this.armTlp(now)
      if (this.tlpAt > this.rtoAt) this.tlpAt = Infinity
    }
    return 'ok'
  }
}
