// RTT estimation (RFC 6298, alpha 1/8, beta 1/4) and RTO, as libudx does it. Pure; times in ms.

export interface RttConfig {
  /** Lower bound of the retransmission timeout (libudx: 1000 ms). */
  minRtoMs: number
  /** Upper bound of the retransmission timeout (libudx: 30000 ms). */
  maxRtoMs: number
  /** RTO before the first sample (libudx: 1000 ms), clamped to [minRtoMs, maxRtoMs]. */
  initialRtoMs: number
}

export class RttEstimator {
  srtt = 0
  rttvar = 0
  minRtt = Infinity
  rto: number
  samples = 0

  constructor(private readonly cfg: RttConfig) {
    this.rto = Math.min(cfg.maxRtoMs, Math.max(cfg.minRtoMs, cfg.initialRtoMs))
  }

  sample(r: number): void {
    if (r < 0) return
    if (this.samples > 0 && r > 5000 && r > this.srtt + 5 * this.rttvar) r = this.srtt + 5 * this.rttvar
    if (this.samples === 0) {
      this.srtt = r
      this.rttvar = r / 2
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r)
      this.srtt = 0.875 * this.srtt + 0.125 * r
    }
    this.samples++
    if (r < this.minRtt) this.minRtt = r
    this.rto = Math.min(this.cfg.maxRtoMs, Math.max(this.cfg.minRtoMs, this.srtt + 4 * this.rttvar))
  }
}
