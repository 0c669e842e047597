// Send half of a UDX stream (state core: no I/O, no clocks; `now` is passed in, in ms).
// Contract for the adapter (engine.ts):
//   - `write(bytes)` / `end()` queue data; `pull(now)` returns the packets to transmit now
//     (new or retransmitted) and must be called after writes, acks and timer expiries;
//   - `onAck(...)` for every received packet's ack/SACK; it returns false when the ack is beyond
//     what was sent (libudx then skips the rest of that packet);
//   - `deadline()` is the next time `onTimer(now)` must run (retransmission, loss probe, reordering
//     window, zero-window probe, or the pacer having tokens again); `onTimer` returns 'timeout' when
//     a packet that already timed out `maxRtoTimeouts` times times out again (ETIMEDOUT).
//   - `setPath(mtu, family, probe)` on connect / remote change: packet size, and whether to search
//     for a larger path MTU (mtu.ts).
// Loss recovery as libudx: SACK, RACK time-based loss detection, tail loss probes (RFC 8985), RTO
// with a fixed 2 x rto re-arm. Congestion control: BBR with delivery-rate samples (bbr.ts) and a
// token-bucket pacer. rwnd bounds the packets in flight (not SACKed, not lost), floor 1 while
// rwnd > 0; a zero window stops new data and asks for HEARTBEAT probes at rto, then every 2 x rto.

import { FLAG_DATA, FLAG_END, HEADER_SIZE, MAX_SACKS, seqAdd, seqDiff } from './packet.ts'
import { RttEstimator } from './rtt.ts'
import { Window, type OutPacket } from './window.ts'
import { Bbr, CaState } from './bbr.ts'
import { MtuProbe } from './mtu.ts'
import { MAX_AHEAD } from './receiver.ts'

export interface SenderConfig {
  minRtoMs: number
  maxRtoMs: number
  initialRtoMs: number
  /** A packet that already timed out this many times closes the stream on its next timeout
   *  (libudx UDX_MAX_RTO_TIMEOUTS: 6, so ETIMEDOUT comes with the 7th expiry, ~13 x rto). */
  maxRtoTimeouts: number
  initialCwnd: number
  maxCwnd: number
  /** Lower bound of the tail-loss-probe timeout (timers are ms-granular; loopback srtt is ~0). */
  minTlpMs: number
  /** Depth of the pacer's token bucket, in ms of the pacing rate (bursts after timer lateness). */
  paceBurstMs: number
}

export const DEFAULT_SENDER_CONFIG: SenderConfig = {
  minRtoMs: 1000,
  maxRtoMs: 30000,
  initialRtoMs: 1000,
  maxRtoTimeouts: 6,
  initialCwnd: 10,
  maxCwnd: 8192,
  minTlpMs: 10,
  paceBurstMs: 4
}

const EMPTY = Buffer.alloc(0)
// 64 KiB: ~45 full packets per allocation; each open stream holds one slab, so idle connections stay cheap.
const SLAB_SIZE = 64 << 10
/** IP + UDP header bytes (for the pacer's byte count). */
const IP_UDP = 28
/** Outstanding span kept below the receiver's out-of-order horizon. */
const MAX_SPAN = MAX_AHEAD - 1

/** 'probe': the peer's window is zero; the adapter must send a HEARTBEAT (zero-window probe). */
export type TimerResult = 'ok' | 'timeout' | 'probe'

interface Sample {
  valid: boolean
  priorDelivered: number
  priorDeliveredBytes: number
  priorTs: number
  sendIntervalMs: number
  isAppLimited: boolean
  sentAt: number
  seq: number
  rttMs: number
}

export class Sender {
  readonly rtt: RttEstimator
  readonly win: Window
  readonly bbr: Bbr
  mtu: MtuProbe
  /** IP + UDP + UDX header bytes per packet for the remote's family (48 IPv4, 68 IPv6). */
  private overhead = 48
  rwnd = 4194304
  ca: CaState = CaState.Open
  private highSeq = 0
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
  private paceAt = Infinity
  private tlpWanted = false
  private tlpInFlight = false
  private tlpIsRetrans = false
  private tlpEndSeq = 0
  private tlpPermitted = true
  private rackXmit = -1
  private rackSeq = 0
  private rackRtt = 0
  /** When the last SACK list may have been cut (MAX_SACKS blocks or more): the end of its last
   *  block. Packets from there on may have arrived unreported, so RACK must not call them lost
   *  (receivers report the lowest blocks only: libudx 50, ours MAX_ACK_SACKS). */
  private sackHorizon: number | null = null
  /** How much later than RACK expected a reordered (not lost) packet was acked, decaying (ms). */
  private reorderMs = 0
  /** New deliveries since the last loss check: RACK runs once per batch of ACKs, in pull(). */
  private lossCheckPending = false
  // delivery-rate sampling (libudx udx_rate.c)
  delivered = 0
  /** Payload bytes delivered (acked or SACKed), for BBR's bandwidth samples. */
  private deliveredBytes = 0
  private deliveredTs = 0
  private firstSentTs = 0
  /** 0, or the `delivered` count after which the flight stops being app-limited. */
  private appLimited = 1
  private lostCount = 0
  // pacer
  private tokens: number
  private lastRefill = 0
  /** Total payload bytes acked, and transmitted packets / retransmissions (stats). */
  bytesAcked = 0
  packetsSent = 0
  retransmits = 0
  rtoCount = 0
  fastRecoveries = 0

  constructor(
    private readonly cfg: SenderConfig = DEFAULT_SENDER_CONFIG,
    initialSeq = 0,
    mss = 1152,
    now = 0
  ) {
    this.rtt = new RttEstimator(cfg)
    this.win = new Window(initialSeq >>> 0)
    this.mtu = new MtuProbe(mss + this.overhead, mss + this.overhead, false)
    this.bbr = new Bbr(now, mss, cfg.initialCwnd)
    this.tokens = cfg.initialCwnd * (mss + HEADER_SIZE + IP_UDP)
    this.lastRefill = now
    this.deliveredTs = now
    this.firstSentTs = now
  }

  /** Payload bytes per new packet. */
  get mss(): number {
    return this.mtu.mtu - this.overhead
  }

  get cwnd(): number {
    return this.bbr.cwnd
  }

  /** Packet size and MTU search for a (new) path: `mtu` counts IP + UDP headers. */
  setPath(mtu: number, family: number, maxMtu: number, search: boolean): void {
    this.overhead = family === 6 ? 68 : 48
    this.mtu = new MtuProbe(mtu, Math.max(mtu, maxMtu), search)
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

  /** Only our bare END is unacked (every byte written was acked). */
  get onlyEndUnacked(): boolean {
    const head = this.win.head()
    return this.endSent && !this.endAcked && this.win.size === 1 && head !== null && head.size === 0
  }

  private get hasNew(): boolean {
    return !this.endSent && (this.queuedBytes > 0 || this.endQueued)
  }

  private refill(now: number): void {
    if (now <= this.lastRefill) return
    const rate = this.bbr.pacingRate
    const cap = Math.max(rate * this.cfg.paceBurstMs, 2 * (this.mss + HEADER_SIZE + IP_UDP))
    this.tokens = Math.min(this.tokens + (now - this.lastRefill) * rate, Math.max(cap, this.tokens))
    this.lastRefill = now
  }

  /** Packets to transmit now. Each returned packet's `buf` holds header space (+ padding) + payload. */
  pull(now: number): OutPacket[] {
    const out: OutPacket[] = []
    const w = this.win
    this.refill(now)
    this.paceAt = Infinity
    if (this.lossCheckPending) {
      // after the whole batch of ACKs: one ACK processed late (a busy event loop) must not make
      // packets reported by the next ACK of the same batch look lost
      this.lossCheckPending = false
      if (w.size > 0) this.detectLoss(now)
    }
    if (this.tlpWanted) this.sendTlp(now, out)
    const cwnd = Math.min(this.bbr.cwnd, this.cfg.maxCwnd)
    while (this.lost.length > 0 && w.pipe < cwnd && this.tokens > 0) {
      const p = this.lost.shift() as OutPacket
      if (p.acked || p.sacked || !p.lost) continue
      w.markRetransmitted(p)
      this.transmit(p, now, out)
      this.retransmits++
    }
    const rwndPkts = this.rwnd === 0 ? 0 : Math.max(1, Math.floor(this.rwnd / this.mss))
    if (rwndPkts === 0 && w.size === 0 && this.hasNew) {
      if (this.zwpAt === Infinity) this.zwpAt = now + this.rtt.rto
    } else this.zwpAt = Infinity
    const limit = Math.min(cwnd, rwndPkts)
    while (this.hasNew && w.pipe < limit && w.size < MAX_SPAN && this.tokens > 0) {
      this.transmit(this.packetize(), now, out)
    }
    const blocked = (this.lost.length > 0 && w.pipe < cwnd) || (this.hasNew && w.pipe < limit && w.size < MAX_SPAN)
    if (blocked && this.tokens <= 0) this.paceAt = now + (1 - this.tokens) / this.bbr.pacingRate
    // app-limited: less than a packet queued, window not full, nothing to resend (libudx)
    if (this.queuedBytes < this.mss && w.pipe < cwnd && this.lost.length === 0) this.appLimited = this.delivered + w.pipe || 1
    return out
  }

  /** Tail loss probe (RFC 8985 7.3): new data if any (ignoring cwnd and pacing), else the last
   *  packet in flight again. */
  private sendTlp(now: number, out: OutPacket[]): void {
    this.tlpWanted = false
    const w = this.win
    if (w.size === 0 || this.ca !== CaState.Open || w.sackedCount > 0) return
    let p: OutPacket | null = null
    if (this.hasNew && w.size < MAX_SPAN) {
      p = this.packetize(true)
      this.transmit(p, now, out, false)
      this.tlpIsRetrans = false
    } else {
      p = w.lastInFlight()
      if (p === null) return
      p.everRetransmitted = true
      this.transmit(p, now, out, false)
      this.retransmits++
      this.tlpIsRetrans = true
    }
    this.tlpInFlight = true
    this.tlpEndSeq = p.seq
    this.tlpPermitted = false
    this.rtoAt = now + this.rtt.rto
  }

  private packetize(tlp = false): OutPacket {
    const mss = this.mss
    const n = Math.min(mss, this.queuedBytes)
    let padding = 0
    let probeSize = 0
    if (!tlp && n === mss && this.mtu.wantProbe()) {
      probeSize = this.mtu.probeSize
      padding = probeSize - (n + this.overhead)
      if (padding < 0 || padding > 255) {
        padding = 0
        probeSize = 0
      } else this.mtu.onProbeSent()
    }
    const buf = this.alloc(HEADER_SIZE + padding + n)
    if (padding > 0) buf.fill(0, HEADER_SIZE, HEADER_SIZE + padding)
    let off = HEADER_SIZE + padding
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
    const p = this.win.create(type, buf, n)
    p.padding = padding
    p.probeSize = probeSize
    return p
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

  private transmit(p: OutPacket, now: number, out: OutPacket[], armTlp = true): void {
    const w = this.win
    const isNew = p.transmits === 0
    const wasEmpty = w.pipe === 0
    if (isNew) {
      if (w.size === 0) {
        // nothing unacked: the rate sample intervals of this flight start now
        this.firstSentTs = now
        this.deliveredTs = now
      }
      w.push(p)
    }
    p.firstSentTsAtSend = this.firstSentTs
    p.deliveredTsAtSend = this.deliveredTs
    p.deliveredAtSend = this.delivered
    p.deliveredBytesAtSend = this.deliveredBytes
    p.appLimitedAtSend = this.appLimited !== 0
    p.sentAt = now
    p.transmits++
    w.onTransmit(p)
    this.packetsSent++
    this.tokens -= p.buf.length + IP_UDP
    out.push(p)
    if (wasEmpty) {
      this.bbr.onTransmitStart(now, this.appLimited !== 0, this.mss)
      // after idle the bucket holds at most an initial window: no line-rate burst of a whole cwnd
      const start = this.cfg.initialCwnd * (this.mss + HEADER_SIZE + IP_UDP)
      if (this.tokens > start) this.tokens = start
    }
    if (this.rtoAt === Infinity) this.rtoAt = now + this.rtt.rto
    if (isNew && armTlp) this.scheduleTlp(now, false)
  }

  /** RFC 8985 7.2: a probe 2 x srtt after the last send or ack, while no loss is being repaired. */
  private scheduleTlp(now: number, fromAck: boolean): boolean {
    const w = this.win
    if (w.size === 0 || this.ca !== CaState.Open || w.sackedCount > 0) return false
    let timeout = 1000
    if (this.rtt.samples > 0) {
      timeout = Math.max(2 * this.rtt.srtt, this.cfg.minTlpMs)
      if (w.pipe === 1) timeout += 2
    }
    const rtoLeft = fromAck ? this.rtt.rto : Math.max(this.rtoAt - now, 1)
    this.tlpAt = now + Math.min(timeout, rtoLeft)
    return true
  }

  /** Process a peer's cumulative ack, SACK blocks ([s,e) flat) and receive window. */
  onAck(ack: number, sacks: number[], rwnd: number, now: number): boolean {
    const w = this.win
    if (seqDiff(ack, w.nxt) > 0) return false
    this.rwnd = rwnd
    const ackAdvanced = seqDiff(ack, w.una) > 0
    const dataInflight = w.size > 0
    const deliveredBefore = this.delivered
    const lostBefore = this.lostCount
    if (this.tlpInFlight && seqDiff(ack, this.tlpEndSeq) >= 0) {
      if (!this.tlpIsRetrans || seqDiff(ack, this.tlpEndSeq) > 0) this.tlpInFlight = false
    }
    if (this.ca !== CaState.Open && seqDiff(ack, this.highSeq) > 0) this.ca = CaState.Open
    const rs: Sample = { valid: false, priorDelivered: 0, priorDeliveredBytes: 0, priorTs: 0, sendIntervalMs: 0, isAppLimited: false, sentAt: 0, seq: 0, rttMs: -1 }
    while (seqDiff(ack, w.una) > 0) {
      const p = w.shift()
      if (!p.sacked) this.onDelivered(p, now, rs)
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
        this.onDelivered(p, now, rs)
      }
    }
    if (sacks.length >= 2 * MAX_SACKS) this.sackHorizon = sacks[sacks.length - 1]
    else if (sacks.length > 0 || w.size === 0) this.sackHorizon = null
    const newly = this.delivered - deliveredBefore
    let armRtoOrTlp = ackAdvanced && dataInflight
    if (newly > 0) {
      this.mtu.onAck()
      if (w.size === 0) {
        armRtoOrTlp = false
        this.rtoAt = this.tlpAt = this.reoAt = Infinity
      } else {
        this.rtoAt = now + this.rtt.rto
        this.lossCheckPending = true
      }
    }
    if (armRtoOrTlp && w.size > 0 && !this.scheduleTlp(now, true)) {
      this.tlpAt = Infinity
      this.rtoAt = now + this.rtt.rto
    }
    if (dataInflight) this.rateSample(rs, newly, this.lostCount - lostBefore, now)
    return true
  }

  private onDelivered(p: OutPacket, now: number, rs: Sample): void {
    this.delivered++
    this.deliveredBytes += p.size
    if (p.probeSize > 0) this.mtu.onProbeAcked(p.probeSize)
    if (p.deliveredTsAtSend >= 0) {
      if (!rs.valid || p.sentAt > rs.sentAt || (p.sentAt === rs.sentAt && seqDiff(p.seq, rs.seq) > 0)) {
        rs.valid = true
        rs.priorDelivered = p.deliveredAtSend
        rs.priorDeliveredBytes = p.deliveredBytesAtSend
        rs.priorTs = p.deliveredTsAtSend
        rs.isAppLimited = p.appLimitedAtSend
        rs.sentAt = p.sentAt
        rs.seq = p.seq
        rs.sendIntervalMs = p.sentAt - p.firstSentTsAtSend
        this.firstSentTs = p.sentAt
      }
    }
    const rtt = now - p.sentAt
    if (!p.everRetransmitted) {
      this.rtt.sample(rtt)
      this.tlpPermitted = true
    }
    if (!p.everRetransmitted && (p.sentAt < this.rackXmit || (p.sentAt === this.rackXmit && seqDiff(p.seq, this.rackSeq) < 0))) {
      // reordering: a packet sent before the newest delivered one arrived after it; widen the
      // window RACK waits before calling such packets lost (RFC 8985 6.2 step 4, measured instead
      // of DSACK-driven)
      const late = rtt - this.rackRtt
      if (late > this.reorderMs) this.reorderMs = late
    }
    if (!p.everRetransmitted || rtt >= this.rtt.minRtt) {
      rs.rttMs = rtt
      if (p.sentAt > this.rackXmit || (p.sentAt === this.rackXmit && seqDiff(p.seq, this.rackSeq) > 0)) {
        this.rackXmit = p.sentAt
        this.rackSeq = p.seq
        this.rackRtt = rtt
      }
    }
  }

  /** Turn this ack's deliveries into a rate sample for BBR (libudx udx__rate_gen). */
  private rateSample(s: Sample, acked: number, losses: number, now: number): void {
    if (this.appLimited !== 0 && this.delivered > this.appLimited) this.appLimited = 0
    if (acked > 0) this.deliveredTs = now
    let delivered = -1
    let deliveredBytes = 0
    let interval = -1
    if (s.valid) {
      delivered = this.delivered - s.priorDelivered
      deliveredBytes = this.deliveredBytes - s.priorDeliveredBytes
      interval = Math.max(s.sendIntervalMs, now - s.priorTs)
      if (interval < this.rtt.minRtt) interval = -1
    }
    const bbr = this.bbr
    bbr.onAck(
      { delivered, deliveredBytes, intervalMs: interval, priorDelivered: s.priorDelivered, isAppLimited: s.isAppLimited, ackedSacked: acked, losses, rttMs: s.rttMs },
      { now, delivered: this.delivered, inflight: this.win.pipe, caState: this.ca, mss: this.mss, srtt: this.rtt.srtt }
    )
    if (bbr.markAppLimited) this.appLimited = this.delivered + this.win.pipe || 1
  }

  /** RACK: a packet sent before the most recently delivered one is lost after rackRtt + reoWnd.
   *  Returns true when it armed the reordering timer. */
  private detectLoss(now: number): boolean {
    this.reoAt = Infinity
    const w = this.win
    if (w.sackedCount === 0 && w.retransOutstanding === 0) return false
    const reo = this.reoWindow()
    let newLoss = 0
    const horizon = this.sackHorizon
    w.forEachOutstanding((p) => {
      if (p.sacked || p.lost || p.transmits === 0) return
      if (horizon !== null && seqDiff(p.seq, horizon) >= 0) return
      const before = p.sentAt < this.rackXmit || (p.sentAt === this.rackXmit && seqDiff(p.seq, this.rackSeq) < 0)
      if (!before) return
      const due = p.sentAt + this.rackRtt + reo
      if (due <= now) {
        if (this.markLost(p)) newLoss++
      } else if (due < this.reoAt) this.reoAt = due
    })
    if (newLoss > 0 && this.ca === CaState.Open) {
      this.bbr.saveCwnd(this.ca)
      this.ca = CaState.Recovery
      this.highSeq = w.nxt
      this.fastRecoveries++
      this.tlpInFlight = false
      this.tlpIsRetrans = false
    }
    return this.reoAt !== Infinity
  }

  /** RACK reordering window: a quarter of min RTT, or 1.25 x the reordering seen (decaying by an
   *  eighth per use), at most srtt. */
  private reoWindow(): number {
    const base = Number.isFinite(this.rtt.minRtt) ? Math.max(this.rtt.minRtt / 4, 1) : 1
    const seen = this.reorderMs * 1.25
    this.reorderMs *= 0.999
    const cap = this.rtt.samples > 0 ? Math.max(this.rtt.srtt, base) : base
    return Math.min(Math.max(base, seen), cap)
  }

  /** Queue `p` for retransmission; false when it was an MTU probe (not a congestion signal). */
  private markLost(p: OutPacket): boolean {
    this.win.markLost(p)
    this.lost.push(p)
    if (p.probeSize > 0) {
      // resend without the padding: the header moves up against the payload
      p.buf = p.buf.subarray(p.padding)
      p.padding = 0
      p.probeSize = 0
      this.mtu.onProbeLost()
      return false
    }
    this.lostCount++
    return true
  }

  deadline(): number {
    return Math.min(this.rtoAt, this.tlpAt, this.reoAt, this.zwpAt, this.paceAt)
  }

  onTimer(now: number): TimerResult {
    const w = this.win
    if (this.zwpAt <= now) {
      this.zwpAt = now + 2 * this.rtt.rto
      return 'probe'
    }
    if (this.paceAt <= now) this.paceAt = Infinity // pull() sends what the tokens allow
    if (w.size === 0) {
      this.rtoAt = this.tlpAt = this.reoAt = Infinity
      return 'ok'
    }
    if (this.reoAt <= now) this.detectLoss(now)
    if (this.rtoAt <= now) return this.onRto(now)
    if (this.tlpAt <= now) {
      this.tlpAt = Infinity
      if (this.tlpInFlight || !this.tlpPermitted) return 'ok'
      this.tlpWanted = true
    }
    return 'ok'
  }

  /** The retransmission timer fired: everything not SACKed is lost (Linux tcp_enter_loss); a
   *  packet that already timed out maxRtoTimeouts times ends the stream. */
  private onRto(now: number): TimerResult {
    const w = this.win
    const head = w.head()
    if (head !== null && head.rtoCount >= this.cfg.maxRtoTimeouts) return 'timeout'
    this.rtoCount++
    this.highSeq = w.nxt
    this.ca = CaState.Loss
    this.tlpInFlight = false
    this.tlpIsRetrans = false
    this.tlpWanted = false
    this.rtoAt = now + 2 * this.rtt.rto
    this.tlpAt = Infinity
    this.reoAt = Infinity
    this.lost = []
    w.forEachOutstanding((p) => {
      if (p.sacked || p.transmits === 0) return
      if (p.lost) {
        this.lost.push(p)
        return
      }
      p.rtoCount++
      this.markLost(p)
    })
    this.bbr.onRto()
    return 'ok'
  }
}
