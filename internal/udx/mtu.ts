// Path MTU probing, compatible with libudx (UDX-NOTES 2.7): after the first ack the sender pads one
// full new DATA packet at a time with zero bytes (header data_offset = padding, at most 255) so its IP
// size is the probe size; an acked probe raises the MTU and the next probe is 32 bytes bigger, up to
// 1500; a probe declared lost is resent without padding, and the third loss in a row ends the search
// at the last size that worked. Peers need nothing: every UDX receiver skips data_offset bytes.
// Pure state; the sender asks `wantProbe()` when it builds a full packet and reports outcomes.

import { MTU_BASE, MTU_MAX } from './packet.ts'

export const MTU_STEP = 32
export const MTU_MAX_PROBES = 3

/** Base: no ack yet (the search starts with the first one); Search; Complete. */
export const MtuState = { Base: 1, Search: 2, Complete: 4 } as const
export type MtuState = (typeof MtuState)[keyof typeof MtuState]

export class MtuProbe {
  /** Largest IP packet size (IP + UDP headers included) known to get through. */
  mtu: number
  state: MtuState
  probeSize: number
  private wanted = false
  private probesLost = 0
  /** Probes sent / acked / lost (stats). */
  sent = 0
  acked = 0
  lost = 0

  constructor(
    start = MTU_BASE,
    private readonly max = MTU_MAX,
    search = true
  ) {
    this.mtu = start
    this.probeSize = Math.min(start + MTU_STEP, max)
    this.state = search && start < max ? MtuState.Base : MtuState.Complete
  }

  /** Any ack of new data: the first one starts the search. */
  onAck(): void {
    if (this.state !== MtuState.Base) return
    this.state = MtuState.Search
    this.wanted = true
  }

  /** True when the next full new packet should be a probe of `probeSize`. */
  wantProbe(): boolean {
    return this.state === MtuState.Search && this.wanted
  }

  onProbeSent(): void {
    this.wanted = false
    this.sent++
  }

  onProbeAcked(size: number): void {
    this.acked++
    if (this.state !== MtuState.Search) return
    this.probesLost = 0
    if (size > this.mtu) this.mtu = size
    if (this.mtu >= this.max) {
      this.state = MtuState.Complete
      return
    }
    this.probeSize = Math.min(this.mtu + MTU_STEP, this.max)
    this.wanted = true
  }

  onProbeLost(): void {
    this.lost++
    if (this.state !== MtuState.Search) return
    if (++this.probesLost >= MTU_MAX_PROBES) this.state = MtuState.Complete
    else this.wanted = true
  }
}
