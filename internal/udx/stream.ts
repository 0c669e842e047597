// UDXStream: udx-native's stream API, a streamx Duplex over an Engine (see engine.ts).
// Contract (udx-native 1.21.3, /work/shared/UDX-NOTES.md sections 2-4):
//   - no handshake: both ends connect(socket, remoteId, port, host) with ids swapped out of band;
//   - packets arriving on a socket other than stream.socket pass `firewall` first (true = drop;
//     the default drops everything);
//   - end() sends END ('finish' right away); the stream closes quietly once our END is acked and
//     the peer's END arrived; destroy() sends one DESTROY; a received DESTROY closes with
//     ECONNRESET; a packet unacked through 6 RTOs closes with ETIMEDOUT;
//   - writing before connect() throws ERR_ASSERTION (as udx-native does).

import { Duplex, Writable } from 'streamx'
import { seqDiff } from './packet.ts'
import { DEFAULT_SENDER_CONFIG, type SenderConfig } from './sender.ts'
import { Engine, LINGER_MS, type EngineOwner, type Firewall } from './engine.ts'
import { errors, type UDXError } from './errors.ts'
import { isIP } from './ip.ts'
import type { UDXSocket } from './socket.ts'

export type { Firewall } from './engine.ts'

export interface StreamOptions {
  firewall?: Firewall
  /** Accepted for API compatibility; delivered bytes are identical either way. */
  framed?: boolean
  seq?: number
  /** Sender tuning (RTO bounds etc.); defaults match libudx where it matters. */
  sender?: Partial<SenderConfig>
  /** Fixed MTU for packet sizing (IP+UDP headers included; no probing). Default: 1500 to loopback
   *  addresses (where libudx's probing ends up), else libudx's 1200 base, probed upwards. */
  mtu?: number
}

/** What a stream needs from its UDX instance. */
export interface StreamHost {
  registerStream(stream: UDXStream): void
  unregisterStream(stream: UDXStream): void
}

/** Unsent bytes above which writes report backpressure (udx-native: 262144). */
const WRITE_HWM = 262144
const firewallAll: Firewall = () => true

export class UDXStream extends Duplex implements EngineOwner {
  userData: unknown = null
  private readonly engine: Engine
  private previousSocket: UDXSocket | null = null
  private remoteChanging: Promise<void> | null = null
  private changeSeq = 0
  private onwrite: ((err: Error | null) => void) | null = null
  private ondestroy: ((err: Error | null) => void) | null = null
  private keepalive: ReturnType<typeof setInterval> | null = null
  private bytesWritten = 0
  private flushes: { target: number; resolve: (ok: boolean) => void }[] = []

  constructor(
    readonly udx: StreamHost,
    readonly id: number,
    opts: StreamOptions = {}
  ) {
    super({ mapWritable: toBuffer, eagerOpen: true })
    const cfg = { ...DEFAULT_SENDER_CONFIG, ...opts.sender }
    this.engine = new Engine(this, opts.firewall ?? firewallAll, opts.mtu ?? null, cfg, opts.seq ?? 0)
    udx.registerStream(this)
  }

  get socket(): UDXSocket | null {
    return this.engine.socket
  }
  get connected(): boolean {
    return this.engine.socket !== null
  }
  get remoteId(): number {
    return this.engine.remoteId
  }
  get remoteHost(): string | null {
    return this.engine.remoteHost
  }
  get remotePort(): number {
    return this.engine.remotePort
  }
  get remoteFamily(): number {
    return this.engine.remoteFamily
  }
  get mtu(): number {
    return this.engine.mtu
  }
  get rtt(): number {
    return Math.round(this.engine.sender.rtt.srtt)
  }
  get cwnd(): number {
    return this.engine.sender.cwnd
  }
  get inflight(): number {
    return this.engine.sender.inflightBytes
  }
  get rtoCount(): number {
    return this.engine.sender.rtoCount & 0xff
  }
  /** Out-of-order payload bytes held by the receiver (bounded by the advertised window). */
  get heldBytes(): number {
    return this.engine.receiver.heldBytes
  }
  get retransmits(): number {
    return this.engine.sender.retransmits
  }
  get fastRecoveries(): number {
    return this.engine.sender.fastRecoveries
  }
  /** BBR state as libudx numbers it: 1 STARTUP, 2 DRAIN, 3 PROBE_BW, 4 PROBE_RTT. */
  get bbrState(): number {
    return this.engine.sender.bbr.state
  }
  /** Estimated bottleneck bandwidth, payload bytes per second (udx_stream_get_bw). */
  get bbrBandwidth(): number {
    return Math.round(this.engine.sender.bbr.bandwidth * 1000)
  }
  get bytesTransmitted(): number {
    return this.engine.sender.bytesAcked
  }
  get packetsTransmitted(): number {
    return this.engine.sender.packetsSent
  }
  get bytesReceived(): number {
    return this.engine.receiver.bytesReceived
  }
  get packetsReceived(): number {
    return this.engine.receiver.packetsReceived
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

  /** No-op: udx-native's guard makes it a no-op on open streams too. */
  setInteractive(_interactive: boolean): void {}

  /** Send a HEARTBEAT every `ms` while nothing is in flight (0 turns it off). */
  setKeepalive(ms: number): void {
    if (this.keepalive) clearInterval(this.keepalive)
    this.keepalive = null
    if (this.engine.closed || !(ms > 0)) return
    this.keepalive = setInterval(() => this.connected && this.engine.sendHeartbeat(), ms)
    this.keepalive.unref?.()
  }

  connect(socket: UDXSocket, remoteId: number, port: number, host?: string | { ack?: number }, opts: { ack?: number } = {}): void {
    if (this.engine.closed) return
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
    if (opts.ack) this.engine.receiver.ack = opts.ack >>> 0
    this.engine.setRemote(socket, remoteId, port, host, family)
    socket.addStream(this)
    this.emit('connect')
  }

  /** Move to another socket/address/id; resolves once every packet sent before is acked. */
  changeRemote(socket: UDXSocket, remoteId: number, port: number, host?: string): Promise<void> {
    const cur = this.engine.socket
    if (this.remoteChanging) throw errors.remoteChanging()
    if (cur === null) throw errors.notConnected()
    if (socket.closing) throw errors.socketClosed()
    if (cur.udx !== socket.udx) throw errors.otherInstance()
    if (!host) host = '127.0.0.1'
    const family = isIP(host)
    if (!family) throw errors.badHost(host)
    if (!(port > 0 && port < 65536)) throw errors.badPort(port)
    if (cur !== socket) this.previousSocket = cur
    this.engine.setRemote(socket, remoteId, port, host, family)
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
    this.changeSeq = this.engine.sender.nextSeq
    this.checkRemoteChanged()
    return this.remoteChanging
  }

  private checkRemoteChanged(): void {
    if (this.remoteChanging === null || seqDiff(this.engine.sender.win.una, this.changeSeq) < 0) return
    if (this.previousSocket) this.previousSocket.removeStream(this)
    this.previousSocket = null
    this.remoteChanging = null
    this.emit('remote-changed')
  }

  /** Forward every packet for this stream, unchanged but for the id, to `destination`'s remote. */
  relayTo(destination: UDXStream): void {
    if (this.engine.closed) return
    this.engine.relay = destination.engine
  }

  async send(buf: Uint8Array): Promise<boolean> {
    if (!this.connected || this.engine.closed) return false
    return this.engine.sendMessage(buf)
  }

  trySend(buf: Uint8Array): void {
    if (!this.connected || this.engine.closed) return
    this.engine.sendMessage(buf)
  }

  /** Resolves true once every earlier write is acked; false if the stream closes first. */
  async flush(): Promise<boolean> {
    if ((await Writable.drained(this)) === false) return false
    if (this.destroying) return false
    const target = this.bytesWritten
    if (this.engine.sender.bytesAcked >= target) return true
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

  /** Same as streamx's end(), with the chunk optional in the types too. */
  override end(data?: unknown): this {
    return super.end(data)
  }

  // ---- streamx hooks ----

  override _read(cb: (err: Error | null) => void): void {
    this.engine.onConsumed()
    cb(null)
  }

  override _writev(buffers: unknown[], cb: (err: Error | null) => void): void {
    if (!this.connected) throw errors.writeBeforeConnect()
    for (const b of buffers as Uint8Array[]) {
      this.engine.write(b)
      this.bytesWritten += b.length
    }
    if (this.engine.sender.queuedBytes < WRITE_HWM) cb(null)
    else this.onwrite = cb
  }

  override _final(cb: (err: Error | null) => void): void {
    this.engine.end()
    cb(null)
  }

  override _predestroy(): void {
    this.engine.destroy()
    this.writeContinue(null)
  }

  override _destroy(cb: (err: Error | null) => void): void {
    if (this.connected && !this.engine.closed) this.ondestroy = cb
    else cb(null)
  }

  private writeContinue(err: Error | null): void {
    const cb = this.onwrite
    if (cb === null) return
    this.onwrite = null
    cb(err)
  }

  // ---- EngineOwner ----

  engineBuffered(): number {
    return (this as unknown as { _readableState: { buffered: number } })._readableState.buffered
  }

  onEngineData(payload: Uint8Array): void {
    this.push(payload)
  }

  onEngineEnd(): void {
    this.push(null)
  }

  onEngineMessage(payload: Uint8Array): void {
    this.emit('message', payload)
  }

  onEngineAck(): void {
    const s = this.engine.sender
    while (this.flushes.length > 0 && s.bytesAcked >= this.flushes[0].target) {
      ;(this.flushes.shift() as { resolve: (ok: boolean) => void }).resolve(true)
    }
    if (this.remoteChanging !== null) this.checkRemoteChanged()
    if (this.onwrite !== null && s.queuedBytes < WRITE_HWM) this.writeContinue(null)
  }

  /** The engine stopped: unregister, detach from sockets, settle waiters, report `err`. */
  onEngineClose(err: UDXError | null): void {
    if (this.keepalive !== null) clearInterval(this.keepalive)
    this.keepalive = null
    if (this.engine.lingering) {
      const t = setTimeout(() => this.udx.unregisterStream(this), LINGER_MS)
      t.unref?.()
    } else this.udx.unregisterStream(this)
    const sock = this.engine.socket
    this.engine.socket = null
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

  /** Called by the UDX instance for each datagram carrying this stream's id. */
  onPacket(socket: UDXSocket, buf: Uint8Array, port: number, host: string, family: number): boolean {
    return this.engine.onPacket(socket, buf, port, host, family)
  }
}

function toBuffer(data: unknown): unknown {
  return typeof data === 'string' ? Buffer.from(data) : data
}
