// UDXStream: udx-native's stream API (a streamx Duplex) over the pure Sender/Receiver cores.
// Contract (matches udx-native 1.21.3, see /work/shared/UDX-NOTES.md sections 2-4):
//   - no handshake: both ends connect(socket, remoteId, port, host) with ids swapped out of band;
//   - packets arriving on a socket other than stream.socket pass `firewall` first (true = drop);
//   - end() sends END; the stream closes quietly once our END is acked and the peer's END arrived;
//   - destroy() sends one DESTROY; a received DESTROY closes with ECONNRESET; 6 RTOs -> ETIMEDOUT.

import { Duplex, Writable } from 'streamx'
import {
  DEFAULT_RWND, FLAG_DATA, FLAG_DESTROY, FLAG_END, FLAG_HEARTBEAT, FLAG_MESSAGE, HEADER_SIZE,
  MTU_BASE, decode, encode, maxPayload, seqDiff, writeHeader, writeU32
} from './packet.ts'
import { Receiver } from './receiver.ts'
import { DEFAULT_SENDER_CONFIG, Sender, type SenderConfig } from './sender.ts'
import { errors, type UDXError } from './errors.ts'
import { isIP } from './ip.ts'
import type { UDXSocket } from './socket.ts'

export type Firewall = (socket: UDXSocket, port: number, host: string, family: number) => boolean

export interface StreamOptions {
  firewall?: Firewall
  /** Accepted for API compatibility; delivered bytes are identical either way. */
  framed?: boolean
  seq?: number
  /** Override sender tuning (RTO bounds etc.); defaults match libudx where it matters. */
  sender?: Partial<SenderConfig>
  /** MTU used for packet sizing (IP+UDP headers included); default 1200 like libudx before probing. */
  mtu?: number
}

/** What a stream needs from its UDX instance. */
export interface StreamHost {
  registerStream(stream: UDXStream): void
  unregisterStream(stream: UDXStream): void
}

/** Unsent bytes above which writes report backpressure (udx-native: 262144). */
const WRITE_HWM = 262144

const now = () => performance.now()
const firewallAll: Firewall = () => true

export class UDXStream extends Duplex {
  socket: UDXSocket | null = null
  remoteId = 0
  remoteHost: string | null = null
  remoteFamily = 0
  remotePort = 0
  userData: unknown = null
  mtu: number
  private readonly sender: Sender
  private readonly receiver: Receiver
  private readonly firewall: Firewall
  private closed = false
  private ackNeeded = false
  private previousSocket: UDXSocket | null = null
  private remoteChanging: Promise<void> | null = null
  private changeSeq = 0
  private relay: UDXStream | null = null
  private onwrite: ((err: Error | null) => void) | null = null
  private ondestroy: ((err: Error | null) => void) | null = null
  private flushScheduled = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private timerAt = Infinity
  private keepalive: ReturnType<typeof setInterval> | null = null
  private bytesWritten = 0
  private flushes: { target: number; resolve: (ok: boolean) => void }[] = []

  constructor(
    readonly udx: StreamHost,
    readonly id: number,
    opts: StreamOptions = {}
  ) {
    super({ mapWritable: toBuffer, eagerOpen: true })
    this.firewall = opts.firewall ?? firewallAll
    this.mtu = opts.mtu ?? MTU_BASE
    this.sender = new Sender({ ...DEFAULT_SENDER_CONFIG, ...opts.sender }, opts.seq ?? 0, maxPayload(this.mtu, 4))
    this.receiver = new Receiver(0)
    udx.registerStream(this)
  }

  get connected(): boolean {
    return this.socket !== null
  }
  get rtt(): number {
    return Math.round(this.sender.rtt.srtt)
  }
  get cwnd(): number {
    return this.sender.cwnd
  }
  get inflight(): number {
    return this.sender.inflightBytes
  }
  get rtoCount(): number {
    return this.sender.rtoCount & 0xff
  }
  get retransmits(): number {
    return this.sender.retransmits
  }
  get fastRecoveries(): number {
    return this.sender.fastRecoveries
  }
  get bbrState(): number {
    return 0
  }
  get bbrBandwidth(): number {
    return 0
  }
  get bytesTransmitted(): number {
    return this.sender.bytesAcked
  }
  get packetsTransmitted(): number {
    return this.sender.packetsSent
  }
  get bytesReceived(): number {
    return this.receiver.bytesReceived
  }
  get packetsReceived(): number {
    return this.receiver.packetsReceived
  }
  get localHost(): string | null {
    return this.socket?.address()?.host ?? null
  }
  get localFamily(): number {
    return this.socket?.address()?.family ?? 0
  }
  get localPort(): number {
    return this.socket?.address()?.port ?? 0
  }

  setInteractive(_interactive: boolean): void {}

  /** Send a HEARTBEAT every `ms` while nothing is in flight (0 turns it off). */
  setKeepalive(ms: number): void {
    if (this.keepalive) clearInterval(this.keepalive)
    this.keepalive = null
    if (this.closed || !(ms > 0)) return
    this.keepalive = setInterval(() => {
      if (this.connected && this.sender.win.size === 0) this.sendControl(FLAG_HEARTBEAT)
    }, ms)
    this.keepalive.unref?.()
  }

  connect(socket: UDXSocket, remoteId: number, port: number, host?: string | { ack?: number }, opts: { ack?: number } = {}): void {
    if (this.closed) return
    if (this.connected) throw errors.alreadyConnected()
    if (socket.closing) throw errors.socketClosed()
    if (typeof host === 'object' && host !== null) {
      opts = host
      host = undefined
    }
    if (!host) host = '127.0.0.1'
    const family = isIP(host)
    if (!family) throw errors.badHost(host)
    if (!(port > 0 && port < 65536)) throw errors.badPort(port)
    if (!socket.bound) socket.bind(0)
    if (opts.ack) this.receiver.ack = opts.ack >>> 0
    this.setRemote(socket, remoteId, port, host, family)
    socket.addStream(this)
    if (this.ackNeeded) this.sendAck()
    this.emit('connect')
  }

  private setRemote(socket: UDXSocket, remoteId: number, port: number, host: string, family: number): void {
    this.remoteId = remoteId >>> 0
    this.remotePort = port
    this.remoteHost = host
    this.remoteFamily = family
    this.socket = socket
    const local = socket.address()?.family ?? 4
    this.sender.mss = maxPayload(this.mtu, family === 6 || local === 6 ? 6 : 4)
  }

  changeRemote(socket: UDXSocket, remoteId: number, port: number, host?: string): Promise<void> {
    if (this.remoteChanging) throw errors.remoteChanging()
    if (!this.connected || this.socket === null) throw errors.notConnected()
    if (socket.closing) throw errors.socketClosed()
    if (this.socket.udx !== socket.udx) throw errors.otherInstance()
    if (!host) host = '127.0.0.1'
    const family = isIP(host)
    if (!family) throw errors.badHost(host)
    if (!(port > 0 && port < 65536)) throw errors.badPort(port)
    if (this.socket !== socket) this.previousSocket = this.socket
    this.setRemote(socket, remoteId, port, host, family)
    this.remoteChanging = new Promise<void>((resolve, reject) => {
      const onchanged = () => {
        this.off('close', onclose)
        resolve()
      }
      const onclose = () => {
        this.off('remote-changed', onchanged)
        reject(errors.streamClosed())
      }
      this.once('remote-changed', onchanged).once('close', onclose)
    })
    socket.addStream(this)
    this.changeSeq = this.sender.nextSeq
    this.checkRemoteChanged()
    return this.remoteChanging
  }

  private checkRemoteChanged(): void {
    if (this.remoteChanging === null || seqDiff(this.sender.win.una, this.changeSeq) < 0) return
    if (this.previousSocket) this.previousSocket.removeStream(this)
    this.previousSocket = null
    this.remoteChanging = null
    this.emit('remote-changed')
  }

  relayTo(destination: UDXStream): void {
    if (this.closed) return
    this.relay = destination
  }

  async send(buf: Uint8Array): Promise<boolean> {
    if (!this.connected || this.closed) return false
    return this.sendControl(FLAG_MESSAGE, buf)
  }

  trySend(buf: Uint8Array): void {
    if (!this.connected || this.closed) return
    this.sendControl(FLAG_MESSAGE, buf)
  }

  /** Resolves true once every earlier write is acked; false if the stream closes first. */
  async flush(): Promise<boolean> {
    if ((await Writable.drained(this)) === false) return false
    if (this.destroying) return false
    const target = this.bytesWritten
    if (this.sender.bytesAcked >= target) return true
    return new Promise((resolve) => this.flushes.push({ target, resolve }))
  }

  toJSON() {
    return {
      id: this.id, connected: this.connected, destroying: this.destroying, destroyed: this.destroyed,
      remoteId: this.remoteId, remoteHost: this.remoteHost, remoteFamily: this.remoteFamily,
      remotePort: this.remotePort, mtu: this.mtu, rtt: this.rtt, cwnd: this.cwnd, inflight: this.inflight,
      socket: this.socket ? this.socket.toJSON() : null
    }
  }

  // ---- streamx hooks ----

  override _read(cb: (err: Error | null) => void): void {
    cb(null)
  }

  override _writev(buffers: unknown[], cb: (err: Error | null) => void): void {
    if (!this.connected) throw errors.writeBeforeConnect()
    for (const b of buffers as Uint8Array[]) {
      this.sender.write(b)
      this.bytesWritten += b.length
    }
    this.scheduleFlush()
    if (this.sender.queuedBytes < WRITE_HWM) cb(null)
    else this.onwrite = cb
  }

  override _final(cb: (err: Error | null) => void): void {
    this.sender.end()
    this.scheduleFlush()
    cb(null)
  }

  override _predestroy(): void {
    if (!this.closed) {
      if (this.connected && this.relay === null) this.sendControl(FLAG_DESTROY)
      this.teardown(null)
    }
    this.writeContinue(null)
  }

  override _destroy(cb: (err: Error | null) => void): void {
    if (this.connected && !this.closed) this.ondestroy = cb
    else cb(null)
  }

  private writeContinue(err: Error | null): void {
    const cb = this.onwrite
    if (cb === null) return
    this.onwrite = null
    cb(err)
  }

  // ---- packet I/O ----

  /** Called by the UDX instance for each datagram carrying this stream's id. False = not taken. */
  onPacket(socket: UDXSocket, buf: Uint8Array, port: number, host: string, family: number): boolean {
    if (this.closed) return false
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
      if (seqDiff(p.seq, this.receiver.ack) >= 0) this.teardown(errors.reset())
      return true
    }
    if (!(t & FLAG_HEARTBEAT)) {
      if (!this.sender.onAck(p.ack, p.sacks, p.rwnd, now())) return true
      this.afterAck()
    }
    if (t & (FLAG_DATA | FLAG_END)) {
      const res = this.receiver.onPacket(p.seq, t, p.payload)
      if (this.connected) this.sendAck()
      else this.ackNeeded = true
      for (const d of res.deliver) this.push(d)
      if (res.ended) this.push(null)
    } else if (t & FLAG_HEARTBEAT) {
      if (this.connected) this.sendAck()
    }
    if (t & FLAG_MESSAGE) this.emit('message', p.payload)
    if (this.closed) return true
    if (this.sender.endAcked && this.receiver.ended) {
      this.teardown(null)
      return true
    }
    this.flushOut()
    return true
  }

  private forward(buf: Uint8Array): void {
    const dest = this.relay as UDXStream
    if (dest.socket === null || dest.remoteHost === null) return
    const copy = new Uint8Array(buf)
    writeU32(copy, 4, dest.remoteId)
    dest.socket.sendRaw(copy, dest.remotePort, dest.remoteHost)
    if (buf.length >= HEADER_SIZE && buf[2] & FLAG_DESTROY) this.teardown(null)
  }

  private afterAck(): void {
    const s = this.sender
    if (this.flushes.length > 0) {
      while (this.flushes.length > 0 && s.bytesAcked >= this.flushes[0].target) {
        ;(this.flushes.shift() as { resolve: (ok: boolean) => void }).resolve(true)
      }
    }
    if (this.remoteChanging !== null) this.checkRemoteChanged()
    if (this.onwrite !== null && s.queuedBytes < WRITE_HWM) this.writeContinue(null)
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    queueMicrotask(() => {
      this.flushScheduled = false
      this.flushOut()
    })
  }

  private flushOut(): void {
    if (this.closed || this.socket === null || this.remoteHost === null) return
    const t = now()
    const pkts = this.sender.pull(t)
    if (pkts.length > 0) {
      const h = { type: 0, dataOffset: 0, id: this.remoteId, rwnd: DEFAULT_RWND, seq: 0, ack: this.receiver.ack }
      for (const p of pkts) {
        h.type = p.type
        h.seq = p.seq
        writeHeader(p.buf, h)
        this.socket.sendRaw(p.buf, this.remotePort, this.remoteHost)
      }
    }
    this.armTimer(t)
  }

  private sendAck(): void {
    const sacks = this.receiver.pending > 0 ? this.receiver.sackBlocks() : undefined
    this.sendControl(0, undefined, sacks)
    this.ackNeeded = false
  }

  private sendControl(type: number, payload?: Uint8Array, sacks?: number[]): boolean {
    if (this.socket === null || this.remoteHost === null) return false
    const h = { type, dataOffset: 0, id: this.remoteId, rwnd: DEFAULT_RWND, seq: this.sender.nextSeq, ack: this.receiver.ack }
    return this.socket.sendRaw(encode(h, payload, sacks), this.remotePort, this.remoteHost)
  }

  private armTimer(t: number): void {
    const d = this.sender.deadline()
    if (d === Infinity || d >= this.timerAt) return
    if (this.timer !== null) clearTimeout(this.timer)
    this.timerAt = d
    this.timer = setTimeout(this.ontimer, Math.max(0, Math.ceil(d - t)))
  }

  private ontimer = (): void => {
    this.timer = null
    this.timerAt = Infinity
    if (this.closed) return
    const t = now()
    if (this.sender.deadline() <= t && this.sender.onTimer(t) === 'timeout') {
      this.teardown(errors.timedOut())
      return
    }
    this.flushOut()
    this.armTimer(t)
  }

  /** Close the native side: unregister, detach from sockets, settle waiters, report `err`. */
  private teardown(err: UDXError | null): void {
    if (this.closed) return
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    if (this.keepalive !== null) clearInterval(this.keepalive)
    this.timer = this.keepalive = null
    this.udx.unregisterStream(this)
    const sock = this.socket
    this.socket = null
    if (sock) sock.removeStream(this)
    if (this.previousSocket) this.previousSocket.removeStream(this)
    this.previousSocket = null
    for (const f of this.flushes.splice(0)) f.resolve(false)
    if (err === null) return this.destroyContinue(null)
    if (this.ondestroy === null) this.destroy(err)
    else this.destroyContinue(err)
  }

  private destroyContinue(err: Error | null): void {
    const cb = this.ondestroy
    if (cb === null) return
    this.ondestroy = null
    cb(err)
  }
}

function toBuffer(data: unknown): unknown {
  return typeof data === 'string' ? Buffer.from(data) : data
}
