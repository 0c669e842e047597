// Deterministic simulation of two UDX stream engines joined by an emulated path, on virtual time:
// the real Engine/Sender/Receiver code with a SimClock (clock.ts) and simulated sockets. The path,
// per direction: seeded random loss, outage windows, a path MTU (larger packets vanish), then a
// FIFO bottleneck (rate, byte limit; arrivals beyond it are dropped), then a propagation delay.
// Every datagram is recorded (time sent, size, queueing delay) so tests can check pacing, queueing
// and loss recovery exactly. No wall clock: a 10 s transfer simulates in well under a second.

import { DEFAULT_SENDER_CONFIG, Engine, packet, type Clock, type EngineOwner, type SenderConfig, type UDXSocket } from '../../internal/udx/index.ts'
import { rng } from './helpers.ts'

interface Ev {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

export class SimClock implements Clock {
  t = 0
  private q: Ev[] = []
  private seq = 0
  private micro: (() => void)[] = []

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): unknown {
    return this.at(this.t + Math.max(ms, 0), fn)
  }

  clearTimeout(h: unknown): void {
    if (h) (h as Ev).cancelled = true
  }

  defer(fn: () => void): void {
    this.at(this.t, fn)
  }

  microtask(fn: () => void): void {
    this.micro.push(fn)
  }

  at(at: number, fn: () => void): Ev {
    const e: Ev = { at, seq: this.seq++, fn, cancelled: false }
    const q = this.q
    let i = q.push(e) - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (q[p].at < e.at || (q[p].at === e.at && q[p].seq < e.seq)) break
      q[i] = q[p]
      i = p
    }
    q[i] = e
    return e
  }

  private pop(): Ev | undefined {
    const q = this.q
    if (q.length === 0) return undefined
    const top = q[0]
    const last = q.pop() as Ev
    if (q.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        let best = last
        if (l < q.length && (q[l].at < best.at || (q[l].at === best.at && q[l].seq < best.seq))) {
          m = l
          best = q[l]
        }
        if (r < q.length && (q[r].at < best.at || (q[r].at === best.at && q[r].seq < best.seq))) {
          m = r
          best = q[r]
        }
        if (m === i) break
        q[i] = q[m]
        i = m
      }
      q[i] = last
    }
    return top
  }

  private drainMicro(): void {
    while (this.micro.length > 0) (this.micro.shift() as () => void)()
  }

  /** Run events until `done()` or virtual time passes `untilMs`. Returns the virtual time. */
  run(done: () => boolean, untilMs: number): number {
    this.drainMicro()
    while (!done()) {
      const e = this.pop()
      if (e === undefined || e.at > untilMs) break
      if (e.cancelled) continue
      this.t = e.at
      e.fn()
      this.drainMicro()
    }
    return this.t
  }
}

export interface PathSpec {
  /** One-way propagation delay (ms). */
  delayMs: number
  /** Bottleneck rate in bytes per ms (IP bytes); Infinity = none. */
  rateBytesPerMs?: number
  /** Bottleneck queue in bytes (beyond it arrivals are dropped). */
  queueBytes?: number
  loss?: number
  /** Largest IP packet that gets through. */
  mtu?: number
  /** [start, end) ms windows where everything is dropped. */
  outages?: [number, number][]
  /** Uniform +-jitter (ms) added to the propagation delay: reorders packets. */
  jitterMs?: number
}

export interface Sent {
  at: number
  /** IP bytes (UDP payload + 28). */
  size: number
  /** Time spent queued at the bottleneck (ms); -1 when dropped. */
  queuedMs: number
  type: number
  dataOffset: number
}

/** One direction of the path. */
class Pipe {
  private rand: () => number
  private busyUntil = 0
  private queued: { leave: number; size: number }[] = []
  private queuedBytes = 0
  readonly log: Sent[] = []
  dropped = { loss: 0, queue: 0, mtu: 0, outage: 0 }

  constructor(
    private readonly clock: SimClock,
    readonly spec: PathSpec,
    seed: number
  ) {
    this.rand = rng(seed)
  }

  send(buf: Uint8Array, deliver: (b: Uint8Array) => void): void {
    const t = this.clock.t
    const s = this.spec
    const size = buf.length + 28
    const rec: Sent = { at: t, size, queuedMs: -1, type: buf.length >= 4 ? buf[2] : 0, dataOffset: buf.length >= 4 ? buf[3] : 0 }
    this.log.push(rec)
    if (s.outages?.some(([a, b]) => t >= a && t < b)) return void this.dropped.outage++
    if (s.mtu !== undefined && size > s.mtu) return void this.dropped.mtu++
    if (s.loss && this.rand() < s.loss) return void this.dropped.loss++
    const rate = s.rateBytesPerMs ?? Infinity
    while (this.queued.length > 0 && this.queued[0].leave <= t) this.queuedBytes -= (this.queued.shift() as { size: number }).size
    if (rate !== Infinity && this.queuedBytes + size > (s.queueBytes ?? Infinity)) return void this.dropped.queue++
    const start = Math.max(t, this.busyUntil)
    const leave = rate === Infinity ? t : start + size / rate
    this.busyUntil = leave
    if (rate !== Infinity) {
      this.queued.push({ leave, size })
      this.queuedBytes += size
    }
    rec.queuedMs = start - t
    const copy = new Uint8Array(buf)
    const jitter = s.jitterMs ? (this.rand() * 2 - 1) * s.jitterMs : 0
    this.clock.at(leave + Math.max(0, s.delayMs + jitter), () => deliver(copy))
  }
}

class SimSocket {
  peer: { engine: Engine; socket: SimSocket } | null = null
  constructor(
    readonly pipe: Pipe,
    private readonly family: 4 | 6
  ) {}
  address() {
    return { host: '10.0.0.1', family: this.family, port: 1 }
  }
  sendRaw(buf: Uint8Array): boolean {
    this.pipe.send(buf, (b) => this.peer?.engine.onPacket(this.peer.socket as unknown as UDXSocket, b, 1, '10.0.0.1', 4))
    return true
  }
  sendMany(bufs: Uint8Array[]): number {
    for (const b of bufs) this.sendRaw(b)
    return bufs.length
  }
}

class Sink implements EngineOwner {
  bytes = 0
  ended = false
  closed: Error | null | undefined = undefined
  deliveries: { at: number; bytes: number }[] = []
  constructor(private readonly clock: SimClock) {}
  onEngineData(p: Uint8Array): void {
    this.bytes += p.length
    this.deliveries.push({ at: this.clock.t, bytes: this.bytes })
  }
  onEngineEnd(): void {
    this.ended = true
  }
  onEngineMessage(): void {}
  onEngineAck(): void {}
  onEngineClose(err: Error | null): void {
    this.closed = err
  }
  engineBuffered(): number {
    return 0
  }
}

export interface SimOptions {
  /** a -> b (data) and b -> a (acks). */
  ab: PathSpec
  ba?: PathSpec
  seed?: number
  sender?: Partial<SenderConfig>
}

/** Two engines, a (sender) and b (receiver), on one simulated path. */
export class Sim {
  readonly clock = new SimClock()
  readonly ab: Pipe
  readonly ba: Pipe
  readonly a: Engine
  readonly b: Engine
  readonly aSink: Sink
  readonly bSink: Sink

  constructor(o: SimOptions) {
    const seed = o.seed ?? 1
    this.ab = new Pipe(this.clock, o.ab, seed * 2 + 1)
    this.ba = new Pipe(this.clock, o.ba ?? { delayMs: o.ab.delayMs, loss: o.ab.loss, outages: o.ab.outages }, seed * 2 + 2)
    const cfg = { ...DEFAULT_SENDER_CONFIG, ...o.sender }
    this.aSink = new Sink(this.clock)
    this.bSink = new Sink(this.clock)
    const accept = () => false
    this.a = new Engine(this.aSink, accept, null, cfg, 0, this.clock)
    this.b = new Engine(this.bSink, accept, null, cfg, 0, this.clock)
    const sa = new SimSocket(this.ab, 4)
    const sb = new SimSocket(this.ba, 4)
    sa.peer = { engine: this.b, socket: sb }
    sb.peer = { engine: this.a, socket: sa }
    this.a.setRemote(sa as unknown as UDXSocket, 2, 1, '10.0.0.2', 4)
    this.b.setRemote(sb as unknown as UDXSocket, 1, 1, '10.0.0.1', 4)
  }

  /** Queue `bytes` on a (64 KiB writes) and end; run until b has them all or `limitMs` passes. */
  transfer(bytes: number, limitMs = 120000): { ms: number; mbps: number; done: boolean } {
    for (let off = 0; off < bytes; off += 65536) this.a.write(new Uint8Array(Math.min(65536, bytes - off)))
    this.a.end()
    const start = this.clock.t
    this.clock.run(() => this.bSink.ended || this.aSink.closed !== undefined, start + limitMs)
    const ms = this.clock.t - start
    return { ms, mbps: this.bSink.bytes / 1048576 / (ms / 1000), done: this.bSink.ended }
  }

  /** Longest time between two deliveries at b (ms). */
  maxGapMs(): number {
    const d = this.bSink.deliveries
    let gap = 0
    for (let i = 1; i < d.length; i++) gap = Math.max(gap, d[i].at - d[i - 1].at)
    return gap
  }

  /** DATA packets a sent (first transmissions and retransmissions). */
  dataSent(): Sent[] {
    return this.ab.log.filter((s) => s.type & packet.FLAG_DATA)
  }
}
