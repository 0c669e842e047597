// Engine: the I/O half of one UDX stream. Owns the Sender/Receiver cores, the remote address, the
// timer (retransmission, loss probe, pacing) and ack scheduling; turns datagrams into owner
// callbacks and core output into datagrams. The owner (UDXStream) is the streamx/API half.
// Acks: an ACK (with SACK blocks when data is missing) for every ACK_EVERY-th DATA packet and for the
// last one of each I/O batch, built when the packet is processed; the ACKs of one batch leave together at
// its end (one sendmmsg), so a lost ACK is covered by the next one; outgoing data carrying the same
// ack replaces them. END and HEARTBEAT are acked at once.
// Time and timers come from a Clock (clock.ts) so test/udx/sim.ts can run engines on virtual time.

import {
  DEFAULT_RWND, FLAG_DATA, FLAG_DESTROY, FLAG_END, FLAG_HEARTBEAT, FLAG_MESSAGE, HEADER_SIZE,
  decode, encode, MAX_ACK_SACKS, MTU_BASE, MTU_MAX, seqDiff, writeHeader, writeU32, type Header
} from './packet.ts'
import { Receiver } from './receiver.ts'
import { Sender, type SenderConfig } from './sender.ts'
import { errors, type UDXError } from './errors.ts'
import { realClock, type Clock } from './clock.ts'
import type { UDXSocket } from './socket.ts'

export type Firewall = (socket: UDXSocket, port: number, host: string, family: number) => boolean

/** Callbacks from the engine to its stream. */
export interface EngineOwner {
  onEngineData(payload: Uint8Array): void
  onEngineEnd(): void
  onEngineMessage(payload: Uint8Array): void
  /** After an ack was processed (flush waiters, write backpressure, remote change). */
  onEngineAck(): void
  /** The stream closed: null = gracefully (both ENDs done) or locally; else the error. */
  onEngineClose(err: UDXError | null): void
  /** Bytes delivered but not yet consumed by the application (shrinks the advertised window). */
  engineBuffered(): number
}

/** How long a gracefully closed stream keeps re-acking (covers the peer's TLP and first RTOs). */
export const LINGER_MS = 3000
/** One ACK per this many DATA packets of an I/O batch, plus one for the batch's last packet. libudx
 *  acks every packet; on a paced WAN path batches hold a packet or two, so this acks about as often,
 *  while on loopback, where batches are large, it saves a third of the receiver's CPU (measured: 8.2
 *  vs 5.5 ms/MB). A batch of many packets still carries several ACKs: one lost is covered. */
export const ACK_EVERY = 8
const isLoopback = (host: string) => host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.')

export class Engine {
  socket: UDXSocket | null = null
  remoteId = 0
  remoteHost: string | null = null
  remotePort = 0
  remoteFamily = 0
  relay: Engine | null = null
  closed = false
  readonly sender: Sender
  readonly receiver: Receiver
  private ackNeeded = false
  private ackScheduled = false
  private lastAckSent = -1
  private flushScheduled = false
  private sendScheduled = false
  /** ACKs built during the current I/O batch, sent together at its end. */
  private acks: Uint8Array[] = []
  /** DATA packets processed since the last ACK was built. */
  private unacked = 0
  private timer: unknown = null
  private timerAt = Infinity
  private readonly hdr: Header = { type: 0, dataOffset: 0, id: 0, rwnd: DEFAULT_RWND, seq: 0, ack: 0 }
  private lingerSocket: UDXSocket | null = null
  private lingerUntil = 0
  /** Receive window last advertised to the peer. */
  private lastRwnd = DEFAULT_RWND

  constructor(
    private readonly owner: EngineOwner,
    private readonly firewall: Firewall,
    /** Fixed MTU from the stream options, or null: 1500 to loopback addresses (what libudx's
     *  probing reaches there), else the 1200 base. */
    private readonly fixedMtu: number | null,
    cfg: SenderConfig,
    initialSeq: number,
    readonly clock: Clock = realClock
  ) {
    this.sender = new Sender(cfg, initialSeq, (fixedMtu ?? MTU_BASE) - 48, clock.now())
    this.receiver = new Receiver(0, DEFAULT_RWND, MAX_ACK_SACKS)
  }

  /** Current path MTU (IP + UDP headers included): grows while probing succeeds. */
  get mtu(): number {
    return this.sender.mtu.mtu
  }

  get connected(): boolean {
    return this.socket !== null
  }

  setRemote(socket: UDXSocket, remoteId: number, port: number, host: string, family: number): void {
    this.remoteId = remoteId >>> 0
    this.remotePort = port
    this.remoteHost = host
    this.remoteFamily = family
    this.socket = socket
    const local = socket.address()?.family ?? 4
    // A fixed MTU is used as is; loopback starts at 1500 (where libudx's probing ends there);
    // anything else starts at libudx's 1200 base and probes upwards (mtu.ts).
    const start = this.fixedMtu ?? (isLoopback(host) ? MTU_MAX : MTU_BASE)
    this.sender.setPath(start, family === 6 || local === 6 ? 6 : 4, MTU_MAX, this.fixedMtu === null)
    if (this.ackNeeded) this.sendAck()
    this.scheduleFlush() // an end() issued before connect is sent now
  }

  write(buf: Uint8Array): void {
    this.sender.write(buf)
    this.scheduleFlush()
  }

  end(): void {
    this.sender.end()
    this.scheduleFlush()
  }

  sendMessage(buf: Uint8Array): boolean {
    return this.sendControl(FLAG_MESSAGE, buf)
  }

  sendHeartbeat(): void {
    if (this.sender.win.size === 0) this.sendControl(FLAG_HEARTBEAT)
  }

  /** Local destroy: one DESTROY packet when connected and not relaying, then close quietly. */
  destroy(): void {
    if (this.closed) return
    if (this.connected && this.relay === null) this.sendControl(FLAG_DESTROY)
    this.close(null)
  }

  /** Handle one datagram for this stream id; false = not taken (socket emits it as 'message'). */
  onPacket(socket: UDXSocket, buf: Uint8Array, port: number, host: string, family: number): boolean {
    if (this.closed) return this.lingerAck(buf)
    if (socket !== this.socket) {
      if (port <= 0 || port > 65535) return true
      if (this.firewall(socket, port, host, family)) return true
      if (this.closed) return true
    }
    if (this.relay !== null) {
      this.forward(buf)
      return true
    }
    const p = decode(buf)
    if (p === null) return true
    const t = p.type
    if (t & FLAG_DESTROY) {
      if (seqDiff(p.seq, this.receiver.ack) >= 0) this.close(errors.reset())
      return true
    }
    if (!(t & FLAG_HEARTBEAT)) {
      const endWasAcked = this.sender.endAcked
      if (!this.sender.onAck(p.ack, p.sacks, p.rwnd, this.clock.now())) return true
      // libudx sends one more ACK when the peer acks our END: if our ack of the peer's END was
      // lost, this one lets the peer close instead of timing out after we are gone.
      if (!endWasAcked && this.sender.endAcked && this.receiver.ended) {
        this.ackNeeded = true
        this.sendAck()
      }
      this.owner.onEngineAck()
      if (this.closed) return true
    }
    if (t & (FLAG_DATA | FLAG_END)) {
      const res = this.receiver.onPacket(p.seq, t, p.payload)
      this.ackNeeded = true
      if (res.ended || !(t & FLAG_DATA)) this.sendAck()
      else this.queueAck()
      for (const d of res.deliver) this.owner.onEngineData(d)
      if (res.ended) this.owner.onEngineEnd()
    } else if (t & FLAG_HEARTBEAT) {
      this.ackNeeded = true
      this.sendAck()
    }
    if (t & FLAG_MESSAGE) this.owner.onEngineMessage(p.payload)
    if (this.closed) return true
    if (this.sender.endAcked && this.receiver.ended) {
      this.close(null)
      return true
    }
    this.scheduleSend()
    return true
  }

  private forward(buf: Uint8Array): void {
    const dest = this.relay as Engine
    if (dest.socket === null || dest.remoteHost === null) return
    const copy = new Uint8Array(buf)
    writeU32(copy, 4, dest.remoteId)
    dest.socket.sendRaw(copy, dest.remotePort, dest.remoteHost)
    if (buf.length >= HEADER_SIZE && buf[2] & FLAG_DESTROY) this.close(null)
  }

  /** After writes: send at the end of this task, so writes of one tick share packets. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    this.clock.microtask(() => {
      this.flushScheduled = false
      this.flushOut()
    })
  }

  /** After acks: send once the whole I/O batch is processed (one pull, one sendmmsg). */
  private scheduleSend(): void {
    if (this.sendScheduled) return
    this.sendScheduled = true
    this.clock.defer(() => {
      this.sendScheduled = false
      this.flushOut()
    })
  }

  /** A DATA packet was processed: every ACK_EVERY-th one gets its ACK built now; the batch's last
   *  one gets one at the end of the batch; all leave together then. */
  private queueAck(): void {
    if (this.socket === null) return // sent by setRemote (ackNeeded)
    if (++this.unacked >= ACK_EVERY) {
      this.acks.push(this.buildAck())
      this.unacked = 0
      this.ackNeeded = false
    }
    if (this.ackScheduled) return
    this.ackScheduled = true
    this.clock.defer(this.sendAcks)
  }

  private sendAcks = (): void => {
    this.ackScheduled = false
    if (this.unacked > 0 && this.ackNeeded) this.acks.push(this.buildAck())
    this.unacked = 0
    this.ackNeeded = false
    const acks = this.acks
    this.acks = []
    if (this.closed || this.socket === null || this.remoteHost === null || acks.length === 0) return
    if (acks.length === 1) this.socket.sendRaw(acks[0], this.remotePort, this.remoteHost)
    else this.socket.sendMany(acks, this.remotePort, this.remoteHost)
  }

  private buildAck(): Uint8Array {
    const h = this.hdr
    h.type = 0
    h.dataOffset = 0
    h.id = this.remoteId
    h.seq = this.sender.nextSeq
    h.ack = this.receiver.ack
    h.rwnd = this.rwnd()
    this.lastAckSent = h.ack
    return encode(h, undefined, this.receiver.pending > 0 ? this.receiver.sackBlocks() : undefined)
  }

  /** Transmit whatever the sender core allows now, in one batch, and re-arm the timer. */
  flushOut(): void {
    if (this.closed || this.socket === null || this.remoteHost === null) return
    const t = this.clock.now()
    const pkts = this.sender.pull(t)
    if (pkts.length > 0) {
      const h = this.hdr
      h.id = this.remoteId
      h.ack = this.receiver.ack
      h.rwnd = this.rwnd()
      const bufs: Uint8Array[] = []
      for (let i = 0; i < pkts.length; i++) {
        const p = pkts[i]
        h.type = p.type
        h.seq = p.seq
        h.dataOffset = p.padding
        writeHeader(p.buf, h)
        // MTU probes go alone: one too big for the local interface must not fail a whole batch
        if (p.padding > 0) this.socket.sendRaw(p.buf, this.remotePort, this.remoteHost)
        else bufs.push(p.buf)
      }
      if (bufs.length === 1) this.socket.sendRaw(bufs[0], this.remotePort, this.remoteHost)
      else if (bufs.length > 1) this.socket.sendMany(bufs, this.remotePort, this.remoteHost)
      if (this.receiver.pending === 0) {
        this.noteAckSent()
        this.unacked = 0
        if (this.acks.length > 0) this.acks = []
      }
    }
    this.armTimer(t)
  }

  private noteAckSent(): void {
    this.lastAckSent = this.receiver.ack
    if (this.receiver.pending === 0) this.ackNeeded = false
  }

  /** Advertised window: 4 MiB (udx-native's constant) minus what the application has not read and
   *  what is held out of order. libudx senders count only packets in flight (not SACKed, not lost)
   *  against the window, so without the second term they overrun the out-of-order bound. */
  private rwnd(): number {
    const r = Math.max(0, DEFAULT_RWND - this.owner.engineBuffered() - this.receiver.heldBytes)
    this.lastRwnd = r
    return r
  }

  /** The application consumed data: re-open a window we had shrunk below half. */
  onConsumed(): void {
    if (this.closed || this.lastRwnd >= DEFAULT_RWND / 2) return
    if (DEFAULT_RWND - this.owner.engineBuffered() < DEFAULT_RWND / 2) return
    this.ackNeeded = true
    this.sendAck()
  }

  private sendAck(): void {
    if (this.socket === null || this.remoteHost === null) return
    if (this.receiver.pending === 0 && this.lastAckSent === this.receiver.ack && !this.ackNeeded) return
    this.socket.sendRaw(this.buildAck(), this.remotePort, this.remoteHost)
    this.ackNeeded = false
  }

  private sendControl(type: number, payload?: Uint8Array, sacks?: number[]): boolean {
    if (this.socket === null || this.remoteHost === null) return false
    const h = this.hdr
    h.type = type
    h.dataOffset = 0
    h.id = this.remoteId
    h.seq = this.sender.nextSeq
    h.ack = this.receiver.ack
    h.rwnd = this.rwnd()
    this.lastAckSent = h.ack
    return this.socket.sendRaw(encode(h, payload, sacks), this.remotePort, this.remoteHost)
  }

  private armTimer(t: number): void {
    const d = this.sender.deadline()
    if (d === Infinity || d >= this.timerAt) return
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timerAt = d
    this.timer = this.clock.setTimeout(this.ontimer, Math.max(0, d - t))
  }

  private ontimer = (): void => {
    this.timer = null
    this.timerAt = Infinity
    if (this.closed) return
    const t = this.clock.now()
    if (this.sender.deadline() <= t) {
      const r = this.sender.onTimer(t)
      if (r === 'timeout') {
        // Everything was delivered both ways and only our bare END went unacked: a libudx peer
        // closes as soon as it has acked our END, so when that last ACK is lost our END is never
        // acked again (libudx has no TIME_WAIT). Close quietly instead of failing a completed
        // stream with ETIMEDOUT (seen in 1 of 12 transfers at 5% loss).
        if (this.receiver.ended && this.sender.onlyEndUnacked) return this.close(null)
        return this.close(errors.timedOut())
      }
      if (r === 'probe') this.sendControl(FLAG_HEARTBEAT)
    }
    this.flushOut()
    this.armTimer(t)
  }

  /** After a graceful close, re-ack the peer's retransmitted DATA/END for a while (like TCP's
   *  TIME_WAIT): if our last ack was lost the peer can still close instead of timing out. libudx
   *  would emit these late packets as socket 'message's, which no consumer reads. */
  private lingerAck(buf: Uint8Array): boolean {
    if (this.lingerSocket === null || this.clock.now() > this.lingerUntil) return false
    if (buf.length < HEADER_SIZE || !(buf[2] & (FLAG_DATA | FLAG_END))) return false
    const h = this.hdr
    h.type = 0
    h.dataOffset = 0
    h.id = this.remoteId
    h.seq = this.sender.nextSeq
    h.ack = this.receiver.ack
    h.rwnd = DEFAULT_RWND
    if (this.remoteHost !== null) this.lingerSocket.sendRaw(encode(h), this.remotePort, this.remoteHost)
    return true
  }

  /** True while a gracefully closed stream still answers retransmissions (see lingerAck). */
  get lingering(): boolean {
    return this.lingerSocket !== null
  }

  /** Stop all I/O and report to the owner exactly once. */
  close(err: UDXError | null): void {
    if (this.closed) return
    this.closed = true
    if (err === null && this.socket !== null && this.sender.endAcked && this.receiver.ended) {
      this.lingerSocket = this.socket
      this.lingerUntil = this.clock.now() + LINGER_MS
    }
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
    this.owner.onEngineClose(err)
  }
}
