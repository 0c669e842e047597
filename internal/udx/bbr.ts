// BBR congestion control (v1, times in ms), as libudx's src/udx_bbr.c and Linux tcp_bbr.c do it.
// Pure: the sender feeds one rate sample per ack and reads `cwnd` (packets) and `pacingRate`
// (payload bytes per ms). The model:
//   bw      = windowed max of delivery-rate samples over 10 round trips
//   min_rtt = windowed min of RTT samples over 10 s (PROBE_RTT drains to 4 packets for 200 ms when it
//             expires)
//   pacing  = gain * bw; cwnd = cwnd_gain * bw * min_rtt (+ ack aggregation), at least 4 packets.
// STARTUP (gain 2.89) until bw stops growing 25% a round for 3 rounds, DRAIN, then PROBE_BW cycling
// gains [1.25, 0.75, 1 x 6], one min_rtt each. Random loss does not move the model: it only takes
// the lost packets off cwnd; cwnd is capped by the model, so a bottleneck queue stays ~1 BDP.
// Differences from libudx, each a fix: the cwnd saved on entering recovery or on an RTO is restored
// (libudx never calls bbr_ssthresh, so prior_cwnd stays 0), and after an RTO the saved cwnd comes back
// with the first delivery (the path answers again: resend at the modelled rate instead of growing
// from one packet); min_rtt counts as at least 1 ms for the BDP (libudx's clock has 1 ms ticks, and
// our timers cannot pace finer either); STARTUP also ends on losses while the RTT shows a full
// queue (a shallow bottleneck buffer), see checkFullBwReached; bandwidth is measured in bytes, not
// packets (libudx), so the estimate stays right while MTU probing makes packets bigger.

import { MaxFilter } from './filter.ts'

export const BbrState = { Startup: 1, Drain: 2, ProbeBw: 3, ProbeRtt: 4 } as const
export type BbrState = (typeof BbrState)[keyof typeof BbrState]

/** Congestion-avoidance state of the sender (libudx ca_state). */
export const CaState = { Open: 1, Recovery: 2, Loss: 3 } as const
export type CaState = (typeof CaState)[keyof typeof CaState]

export interface RateSample {
  /** Packets delivered over the sample's interval; -1 when there is no valid sample. */
  delivered: number
  /** Payload bytes delivered over the sample's interval. */
  deliveredBytes: number
  /** The sample's interval in ms; -1 when invalid. */
  intervalMs: number
  /** `delivered` of the sender when the newest acked packet was sent. */
  priorDelivered: number
  isAppLimited: boolean
  /** Packets newly acked or SACKed by this ack. */
  ackedSacked: number
  /** Packets newly marked lost while processing this ack. */
  losses: number
  /** RTT of the newest acked packet (ms), -1 if none. */
  rttMs: number
}

/** What the sender tells BBR with each sample. */
export interface BbrInput {
  now: number
  /** Total packets delivered so far. */
  delivered: number
  /** Packets in flight (sent, not acked, SACKed or lost). */
  inflight: number
  caState: CaState
  /** Payload bytes per packet. */
  mss: number
  /** Smoothed RTT (ms), 0 before the first sample. */
  srtt: number
}

const HIGH_GAIN = 2.88539 // 2/ln(2)
const DRAIN_GAIN = 1 / HIGH_GAIN
const CWND_GAIN = 2
const PACING_GAINS = [1.25, 0.75, 1, 1, 1, 1, 1, 1]
const CYCLE_LEN = 8
const BW_FILTER_ROUNDS = CYCLE_LEN + 2
const MIN_RTT_WINDOW_MS = 10000
const PROBE_RTT_MS = 200
const PACING_MARGIN = 0.99
export const BBR_MIN_CWND = 4
const FULL_BW_THRESH = 1.25
const FULL_BW_COUNT = 3
const EXTRA_ACKED_WIN_RTTS = 5
const EXTRA_ACKED_MAX_MS = 100
/** Smallest min_rtt used for the BDP (ms): see the header. */
const MIN_RTT_FLOOR_MS = 1
const INITIAL_CWND = 10
/** RTT above this multiple of min_rtt while losing packets ends STARTUP (see checkFullBwReached). */
const STARTUP_QUEUE_RTT = 1.5

export class Bbr {
  state: BbrState = BbrState.Startup
  cwnd: number
  /** Payload bytes per ms. */
  pacingRate: number
  minRttMs = Infinity
  private minRttStamp: number
  private readonly bw = new MaxFilter(BW_FILTER_ROUNDS)
  private roundCount = 0
  private nextRttDelivered = 0
  private roundStart = false
  private fullBw = 0
  private fullBwCount = 0
  fullBwReached = false
  private cycleIndex = 0
  private cycleStamp = 0
  pacingGain = HIGH_GAIN
  private cwndGain = HIGH_GAIN
  private priorCwnd = 0
  private prevCaState: CaState = CaState.Open
  private packetConservation = false
  private restoreOnDelivery = false
  private probeRttDone = 0
  private probeRttRoundDone = false
  private idleRestart = false
  private hasSeenRtt = false
  private extraAcked = [0, 0]
  private extraAckedWinRtts = 0
  private extraAckedIdx = 0
  private ackEpochStart: number
  private ackEpochAcked = 0
  /** Set when PROBE_RTT wants the sender to count the current flight as app-limited. */
  markAppLimited = false

  private mss: number

  constructor(now: number, mss: number, initialCwnd = INITIAL_CWND) {
    this.cwnd = initialCwnd
    this.mss = mss
    this.minRttStamp = now
    this.ackEpochStart = now
    this.bw.reset(0, 0)
    // cwnd per (unknown) 1 ms round trip at the startup gain, as libudx's bbr_init
    this.pacingRate = this.rateOf(initialCwnd * mss, HIGH_GAIN)
  }

  /** Estimated bottleneck bandwidth, payload bytes per ms. */
  get bandwidth(): number {
    return this.bw.get()
  }

  private rateOf(bwBytesPerMs: number, gain: number): number {
    return Math.max(bwBytesPerMs * gain * PACING_MARGIN, 1)
  }

  /** Bandwidth-delay product times gain, in packets of the current size. */
  private bdp(bw: number, gain: number): number {
    if (this.minRttMs === Infinity) return INITIAL_CWND
    return Math.ceil((bw * Math.max(this.minRttMs, MIN_RTT_FLOOR_MS) * gain) / this.mss)
  }

  /** Remember cwnd before a reduction (entering recovery, an RTO, PROBE_RTT). */
  saveCwnd(caState: CaState): void {
    if (this.prevCaState < CaState.Recovery && this.state !== BbrState.ProbeRtt) this.priorCwnd = this.cwnd
    else this.priorCwnd = Math.max(this.priorCwnd, this.cwnd)
    void caState
  }

  /** The retransmission timer fired: everything in flight is presumed lost. */
  onRto(): void {
    this.saveCwnd(CaState.Loss)
    this.prevCaState = CaState.Loss
    this.fullBw = 0
    this.roundStart = true
    this.cwnd = 1
    this.restoreOnDelivery = true
  }

  /** Sending starts after the flight had drained (nothing in flight). */
  onTransmitStart(now: number, appLimited: boolean, mss: number): void {
    if (!appLimited) return
    this.idleRestart = true
    this.ackEpochStart = now
    this.ackEpochAcked = 0
    this.mss = mss
    if (this.state === BbrState.ProbeBw) this.setPacingRate(this.bandwidth, 1, 0)
    else if (this.state === BbrState.ProbeRtt) this.checkProbeRttDone(now)
  }

  /** One rate sample per ack that was processed while data was in flight. */
  onAck(rs: RateSample, s: BbrInput): void {
    this.mss = s.mss
    this.updateBw(rs, s)
    this.updateAckAggregation(rs, s)
    this.updateCyclePhase(rs, s)
    this.checkFullBwReached(rs, s)
    this.checkDrain(s)
    this.updateMinRtt(rs, s)
    this.updateGains()
    const bw = this.bandwidth
    this.setPacingRate(bw, this.pacingGain, s.srtt)
    this.setCwnd(rs, s, bw)
  }

  private setPacingRate(bw: number, gain: number, srtt: number): void {
    if (!this.hasSeenRtt && srtt > 0) {
      this.hasSeenRtt = true
      this.pacingRate = this.rateOf((this.cwnd * this.mss) / Math.max(srtt, MIN_RTT_FLOOR_MS), HIGH_GAIN)
    }
    const rate = this.rateOf(bw, gain)
    if (bw > 0 && (this.fullBwReached || rate > this.pacingRate)) this.pacingRate = rate
  }

  private updateBw(rs: RateSample, s: BbrInput): void {
    this.roundStart = false
    if (rs.delivered < 0 || rs.intervalMs <= 0) return
    if (rs.priorDelivered >= this.nextRttDelivered) {
      this.nextRttDelivered = s.delivered
      this.roundCount++
      this.roundStart = true
      this.packetConservation = false
    }
    const bw = rs.deliveredBytes / rs.intervalMs
    if (!rs.isAppLimited || bw >= this.bandwidth) this.bw.update(this.roundCount, bw)
  }

  private updateAckAggregation(rs: RateSample, s: BbrInput): void {
    if (rs.ackedSacked <= 0 || rs.delivered < 0 || rs.intervalMs <= 0) return
    if (this.roundStart) {
      this.extraAckedWinRtts = Math.min(0xff, this.extraAckedWinRtts + 1)
      if (this.extraAckedWinRtts >= EXTRA_ACKED_WIN_RTTS) {
        this.extraAckedWinRtts = 0
        this.extraAckedIdx ^= 1
        this.extraAcked[this.extraAckedIdx] = 0
      }
    }
    let expected = (this.bandwidth * (s.now - this.ackEpochStart)) / this.mss
    if (this.ackEpochAcked <= expected) {
      this.ackEpochAcked = 0
      this.ackEpochStart = s.now
      expected = 0
    }
    this.ackEpochAcked += rs.ackedSacked
    const extra = Math.min(this.ackEpochAcked - expected, this.cwnd)
    if (extra > this.extraAcked[this.extraAckedIdx]) this.extraAcked[this.extraAckedIdx] = extra
  }

  private inflightTarget(bw: number, gain: number): number {
    return this.bdp(bw, gain)
  }

  private updateCyclePhase(rs: RateSample, s: BbrInput): void {
    if (this.state !== BbrState.ProbeBw) return
    const fullLength = s.now - this.cycleStamp > Math.max(this.minRttMs, MIN_RTT_FLOOR_MS)
    let next: boolean
    if (this.pacingGain === 1) next = fullLength
    else if (this.pacingGain > 1) next = fullLength && (rs.losses > 0 || s.inflight >= this.inflightTarget(this.bandwidth, this.pacingGain))
    else next = fullLength || s.inflight <= this.inflightTarget(this.bandwidth, 1)
    if (next) this.advanceCycle(s.now)
  }

  private advanceCycle(now: number): void {
    this.cycleIndex = (this.cycleIndex + 1) & (CYCLE_LEN - 1)
    this.cycleStamp = now
  }

  private resetProbeBw(now: number): void {
    this.state = BbrState.ProbeBw
    this.cycleIndex = 3 // libudx: fixed (Linux picks at random); advancing starts at index 4
    this.advanceCycle(now)
  }

  private resetMode(now: number): void {
    if (!this.fullBwReached) this.state = BbrState.Startup
    else this.resetProbeBw(now)
  }

  private checkFullBwReached(rs: RateSample, s: BbrInput): void {
    if (this.fullBwReached) return
    // Losses while the RTT shows a standing queue: STARTUP's 2.89x pacing has filled the bottleneck
    // buffer and keeps overflowing it. BBR v1 waits for 3 rounds without bw growth, long enough to
    // drop most of a shallow buffer's worth of packets per round; libudx receivers report only the
    // lowest 50 SACK blocks, so recovering from hundreds of holes takes many round trips. Random
    // loss without queueing (no RTT inflation) does not end STARTUP.
    if (rs.losses > 0 && s.srtt > this.minRttMs * STARTUP_QUEUE_RTT + MIN_RTT_FLOOR_MS && this.bandwidth > 0) {
      this.fullBwReached = true
      return
    }
    if (!this.roundStart || rs.isAppLimited) return
    if (this.bandwidth >= this.fullBw * FULL_BW_THRESH) {
      this.fullBw = this.bandwidth
      this.fullBwCount = 0
      return
    }
    this.fullBwCount++
    this.fullBwReached = this.fullBwCount >= FULL_BW_COUNT
  }

  private checkDrain(s: BbrInput): void {
    if (this.state === BbrState.Startup && this.fullBwReached) this.state = BbrState.Drain
    if (this.state === BbrState.Drain && s.inflight <= this.inflightTarget(this.bandwidth, 1)) this.resetProbeBw(s.now)
  }

  private checkProbeRttDone(now: number): void {
    if (!(this.probeRttDone > 0 && now > this.probeRttDone)) return
    this.minRttStamp = now
    this.cwnd = Math.max(this.cwnd, this.priorCwnd)
    this.resetMode(now)
  }

  private updateMinRtt(rs: RateSample, s: BbrInput): void {
    const expired = s.now > this.minRttStamp + MIN_RTT_WINDOW_MS
    if (rs.rttMs >= 0 && (rs.rttMs < this.minRttMs || expired)) {
      this.minRttMs = rs.rttMs
      this.minRttStamp = s.now
    }
    this.markAppLimited = false
    if (expired && !this.idleRestart && this.state !== BbrState.ProbeRtt) {
      this.state = BbrState.ProbeRtt
      this.saveCwnd(s.caState)
      this.probeRttDone = 0
    }
    if (this.state === BbrState.ProbeRtt) {
      this.markAppLimited = true
      if (this.probeRttDone === 0 && s.inflight <= BBR_MIN_CWND) {
        this.probeRttDone = s.now + PROBE_RTT_MS
        this.probeRttRoundDone = false
        this.nextRttDelivered = s.delivered
      } else if (this.probeRttDone > 0) {
        if (this.roundStart) this.probeRttRoundDone = true
        if (this.probeRttRoundDone) this.checkProbeRttDone(s.now)
      }
    }
    if (rs.delivered > 0) this.idleRestart = false
  }

  private updateGains(): void {
    switch (this.state) {
      case BbrState.Startup:
        this.pacingGain = HIGH_GAIN
        this.cwndGain = HIGH_GAIN
        break
      case BbrState.Drain:
        this.pacingGain = DRAIN_GAIN
        this.cwndGain = HIGH_GAIN
        break
      case BbrState.ProbeBw:
        this.pacingGain = PACING_GAINS[this.cycleIndex]
        this.cwndGain = CWND_GAIN
        break
      case BbrState.ProbeRtt:
        this.pacingGain = 1
        this.cwndGain = 1
        break
    }
  }

  private aggregationCwnd(): number {
    if (!this.fullBwReached) return 0
    const maxAggr = (this.bandwidth * EXTRA_ACKED_MAX_MS) / this.mss
    return Math.min(Math.max(this.extraAcked[0], this.extraAcked[1]), maxAggr)
  }

  /** Returns true when packet conservation decided cwnd (recovery's first round). */
  private recoverOrRestore(rs: RateSample, s: BbrInput): boolean {
    const prev = this.prevCaState
    const state = s.caState
    let cwnd = this.cwnd
    if (rs.losses > 0) cwnd = Math.max(cwnd - rs.losses, 1)
    if (this.restoreOnDelivery && rs.ackedSacked > 0) {
      // first delivery after an RTO: the path works again
      this.restoreOnDelivery = false
      cwnd = Math.max(cwnd, this.priorCwnd)
    }
    if (state === CaState.Recovery && prev !== CaState.Recovery) {
      // one round of packet conservation, but not in STARTUP: random loss would hold cwnd for a
      // round at every loss and STARTUP would crawl (congestion loss ends STARTUP instead)
      this.packetConservation = this.fullBwReached
      this.nextRttDelivered = s.delivered
      cwnd = s.inflight + rs.ackedSacked
    } else if (prev >= CaState.Recovery && state === CaState.Open) {
      cwnd = Math.max(cwnd, this.priorCwnd)
      this.packetConservation = false
    }
    this.prevCaState = state
    if (this.packetConservation) {
      this.cwnd = Math.max(cwnd, s.inflight + rs.ackedSacked)
      return true
    }
    this.cwnd = cwnd
    return false
  }

  private setCwnd(rs: RateSample, s: BbrInput, bw: number): void {
    const acked = rs.ackedSacked
    if (acked > 0 && !this.recoverOrRestore(rs, s)) {
      const target = this.bdp(bw, this.cwndGain) + this.aggregationCwnd()
      let cwnd = this.cwnd
      if (this.fullBwReached) cwnd = Math.min(cwnd + acked, target)
      else if (cwnd < target || s.delivered < INITIAL_CWND) cwnd += acked
      this.cwnd = Math.max(cwnd, BBR_MIN_CWND)
    }
    if (this.state === BbrState.ProbeRtt) this.cwnd = Math.min(this.cwnd, BBR_MIN_CWND)
  }
}
