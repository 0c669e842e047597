// UDXSocket: udx-native's socket API over Bun.udpSocket. bind() is synchronous like udx-native's
// (Bun.udpSocket binds natively before returning an already-settled promise, read with Bun.peek).
// Datagrams that belong to a live stream of the same UDX instance go to that stream; everything
// else is emitted as 'message'(buf, {host, family, port}).

import { EventEmitter } from 'node:events'
import { errors } from './errors.ts'
import { isIP, normalizeHost } from './ip.ts'
import * as sockopt from './sockopt.ts'
import type { NetworkInterface } from './interfaces.ts'

/** Receive buffer of libudx: longer datagrams are cut to this many bytes. */
export const RECV_BUFFER_SIZE = 2048
const DEFAULT_TTL = 64

export interface SocketOptions {
  ipv6Only?: boolean
  reuseAddress?: boolean
}

export interface SocketAddress {
  host: string
  family: 4 | 6
  port: number
}

/** What a socket needs from its UDX instance (avoids an import cycle). */
export interface PacketRouter {
  routePacket(socket: UDXSocket, buf: Uint8Array, port: number, host: string, family: 4 | 6): boolean
  /** hyperdht's holepuncher reads interfaces through `socket.udx`. */
  networkInterfaces(): NetworkInterface[]
}

interface StreamLike {
  readonly id: number
}

type BunUdp = import('bun').udp.Socket<'buffer'>

export class UDXSocket extends EventEmitter {
  readonly streams = new Set<StreamLike>()
  userData: unknown = null
  private sock: BunUdp | null = null
  private host: string | null = null
  private family: 4 | 6 = 4
  private port = 0
  private ttl = DEFAULT_TTL
  private fd = -1
  private closingPromise: Promise<void> | null = null
  private closed = false
  bytesTransmitted = 0
  packetsTransmitted = 0
  bytesReceived = 0
  packetsReceived = 0
  readonly packetsDroppedByKernel = 0

  constructor(
    readonly udx: PacketRouter,
    private readonly opts: SocketOptions = {}
  ) {
    super()
  }

  get bound(): boolean {
    return this.port !== 0
  }
  get closing(): boolean {
    return this.closingPromise !== null
  }
  get idle(): boolean {
    return this.streams.size === 0
  }
  get busy(): boolean {
    return this.streams.size > 0
  }

  address(): SocketAddress | null {
    if (!this.bound || this.host === null) return null
    return { host: this.host, family: this.family, port: this.port }
  }

  toJSON() {
    return {
      bound: this.bound, closing: this.closing, streams: this.streams.size, address: this.address(),
      ipv6Only: this.opts.ipv6Only === true, reuseAddress: this.opts.reuseAddress === true,
      idle: this.idle, busy: this.busy
    }
  }

  /** Synchronous; host must be an IP literal; without host tries '::' then '0.0.0.0'. */
  bind(port = 0, host?: string): void {
    if (this.bound) throw errors.alreadyBound()
    if (this.closing) throw errors.socketClosed()
    if (!port) port = 0
    if (host) {
      const fam = isIP(host)
      if (!fam) throw errors.badHost(host)
      this.open(port, host, fam)
    } else {
      try {
        this.open(port, '::', 6)
      } catch {
        this.open(port, '0.0.0.0', 4)
      }
    }
    this.emit('listening')
  }

  private open(port: number, host: string, family: 4 | 6): void {
    const p = Bun.udpSocket({
      port,
      hostname: host,
      socket: {
        data: (_s, buf, rport, raddr, flags) => this.onData(buf, rport, raddr, flags.ipv6),
        // udx-native sockets never emit 'error'; send failures surface as send() => false
        error: () => {}
      }
    })
    const status = Bun.peek.status(p)
    if (status === 'pending') throw errors.notSupported('asynchronous UDP bind')
    const v = Bun.peek(p)
    if (status === 'rejected') {
      p.catch(() => {})
      throw v
    }
    this.sock = v as BunUdp
    this.host = host
    this.family = family
    this.port = this.sock.port
    this.fd = (this.sock as unknown as { fd?: number }).fd ?? -1
    sockopt.tuneBuffers(this.fd)
    sockopt.setDontFragment(this.fd, family)
  }

  private onData(buf: Buffer, port: number, addr: string, ipv6: boolean): void {
    if (this.closed) return
    this.packetsReceived++
    this.bytesReceived += buf.length
    const { host, family } = normalizeHost(addr, ipv6)
    if (this.udx.routePacket(this, buf, port, host, family)) return
    if (buf.length > RECV_BUFFER_SIZE) buf = buf.subarray(0, RECV_BUFFER_SIZE)
    this.emit('message', buf, { host, family, port })
  }

  /** Send one datagram now; false when it could not be handed to the kernel. Used by streams. */
  sendRaw(buf: Uint8Array, port: number, host: string, ttl = 0): boolean {
    if (this.sock === null || this.closed) return false
    try {
      if (ttl && ttl !== this.ttl) this.sock.setTTL(ttl)
      const ok = this.sock.send(buf, port, host)
      if (ttl && ttl !== this.ttl) this.sock.setTTL(this.ttl)
      if (ok) {
        this.packetsTransmitted++
        this.bytesTransmitted += buf.length
      }
      return ok
    } catch {
      return false
    }
  }

  /** Send datagrams to one destination in a single sendmmsg batch (stream data path). */
  sendMany(bufs: Uint8Array[], port: number, host: string): number {
    if (this.sock === null || this.closed) return 0
    const args: (Uint8Array | number | string)[] = new Array(bufs.length * 3)
    for (let i = 0; i < bufs.length; i++) {
      args[i * 3] = bufs[i]
      args[i * 3 + 1] = port
      args[i * 3 + 2] = host
      this.bytesTransmitted += bufs[i].length
    }
    try {
      const n = this.sock.sendMany(args)
      this.packetsTransmitted += n
      return n
    } catch {
      return 0
    }
  }

  async send(buf: Uint8Array, port: number, host?: string, ttl?: number): Promise<boolean> {
    if (this.closing) return false
    return this.sendChecked(buf, port, host, ttl)
  }

  trySend(buf: Uint8Array, port: number, host?: string, ttl?: number): void {
    if (this.closing) return
    this.sendChecked(buf, port, host, ttl)
  }

  private sendChecked(buf: Uint8Array, port: number, host?: string, ttl?: number): boolean {
    if (!host) host = '127.0.0.1'
    if (!isIP(host)) throw errors.badHost(host)
    if (!this.bound) this.bind(0)
    return this.sendRaw(buf, port, host, ttl || 0)
  }

  setTTL(ttl: number): void {
    if (this.sock === null) throw errors.socketInactive()
    this.ttl = ttl
    this.sock.setTTL(ttl)
  }

  addMembership(group: string, iface?: string): boolean {
    if (this.sock === null) throw errors.socketInactive()
    return this.sock.addMembership(group, iface)
  }

  dropMembership(group: string, iface?: string): boolean {
    if (this.sock === null) throw errors.socketInactive()
    return this.sock.dropMembership(group, iface)
  }

  getRecvBufferSize(): number {
    if (this.sock === null) throw errors.socketInactive()
    return sockopt.getRecvBufferSize(this.fd)
  }
  setRecvBufferSize(size: number): number {
    if (this.sock === null) throw errors.socketInactive()
    sockopt.setRecvBufferSize(this.fd, size)
    return sockopt.getRecvBufferSize(this.fd)
  }
  getSendBufferSize(): number {
    if (this.sock === null) throw errors.socketInactive()
    return sockopt.getSendBufferSize(this.fd)
  }
  setSendBufferSize(size: number): number {
    if (this.sock === null) throw errors.socketInactive()
    sockopt.setSendBufferSize(this.fd, size)
    return sockopt.getSendBufferSize(this.fd)
  }

  /** Resolves after 'close'; waits until every attached stream has closed. */
  close(): Promise<void> {
    if (this.closingPromise) return this.closingPromise
    this.closingPromise = new Promise<void>((resolve) => this.once('close', () => resolve()))
    this.closeMaybe()
    return this.closingPromise
  }

  private closeMaybe(): boolean {
    if (this.closed || this.closingPromise === null) return this.closed
    if (!this.idle) return false
    this.closed = true
    if (this.sock !== null) {
      this.sock.close()
      this.sock = null
      queueMicrotask(() => this.emit('close'))
    } else {
      this.emit('close')
    }
    return true
  }

  /** Called by streams on connect / changeRemote. */
  addStream(stream: StreamLike): void {
    if (this.streams.has(stream)) return
    this.streams.add(stream)
    if (this.streams.size === 1) this.emit('busy')
  }

  /** Called by streams when they close or move to another socket. */
  removeStream(stream: StreamLike): void {
    if (!this.streams.delete(stream)) return
    const closed = this.closeMaybe()
    if (this.idle && !closed) this.emit('idle')
  }
}
