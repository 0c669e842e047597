// UDX: the instance object of udx-native (sockets, streams, interfaces, lookup). Stream ids live in
// one table per instance shared by all its sockets: a packet with id X arriving on any socket of
// this instance reaches stream X (libudx `streams_by_id`); a duplicate id replaces the older entry.

import dns from 'node:dns'
import { readU32, isUDXPacket, MAX_STREAM_DATAGRAM } from './packet.ts'
import { isIP, isIPv4, isIPv6 } from './ip.ts'
import { UDXSocket, type SocketOptions, type PacketRouter } from './socket.ts'
import { UDXStream, type StreamOptions, type StreamHost } from './stream.ts'
import { NetworkInterfaces, listInterfaces, type NetworkInterface } from './interfaces.ts'

const COUNTERS = ['bytesTransmitted', 'packetsTransmitted', 'bytesReceived', 'packetsReceived'] as const

export class UDX implements PacketRouter, StreamHost {
  private readonly streams = new Map<number, UDXStream>()
  private readonly watchers = new Set<NetworkInterfaces>()
  private readonly sockets = new Set<UDXSocket>()
  private closedTotals = { bytesTransmitted: 0, packetsTransmitted: 0, bytesReceived: 0, packetsReceived: 0 }

  static isIPv4(host: string): boolean {
    return isIPv4(host)
  }
  static isIPv6(host: string): boolean {
    return isIPv6(host)
  }
  static isIP(host: string): 0 | 4 | 6 {
    return isIP(host)
  }

  createSocket(opts?: SocketOptions): UDXSocket {
    const socket = new UDXSocket(this, opts)
    this.sockets.add(socket)
    socket.once('close', () => {
      this.sockets.delete(socket)
      for (const k of COUNTERS) this.closedTotals[k] += socket[k]
    })
    return socket
  }

  private total(k: (typeof COUNTERS)[number]): number {
    let n = this.closedTotals[k]
    for (const s of this.sockets) n += s[k]
    return n
  }
  get bytesTransmitted(): number {
    return this.total('bytesTransmitted')
  }
  get packetsTransmitted(): number {
    return this.total('packetsTransmitted')
  }
  get bytesReceived(): number {
    return this.total('bytesReceived')
  }
  get packetsReceived(): number {
    return this.total('packetsReceived')
  }
  /** Bun does not report kernel drops; always 0. */
  get packetsDroppedByKernel(): number {
    return 0
  }

  createStream(id: number, opts?: StreamOptions): UDXStream {
    return new UDXStream(this, id >>> 0, opts)
  }

  networkInterfaces(): NetworkInterface[] {
    const [watcher] = this.watchers
    return watcher ? watcher.interfaces : listInterfaces()
  }

  watchNetworkInterfaces(onchange?: (interfaces: NetworkInterface[]) => void): NetworkInterfaces {
    const watcher = new NetworkInterfaces()
    this.watchers.add(watcher)
    watcher.on('close', () => this.watchers.delete(watcher))
    if (onchange) watcher.on('change', onchange)
    return watcher.watch()
  }

  /** Resolve a host name to its first address (getaddrinfo), like udx-native's lookup. */
  async lookup(host: string, opts: { family?: number } = {}): Promise<{ host: string; family: number }> {
    const family = opts.family === 4 || opts.family === 6 ? opts.family : 0
    const res = await dns.promises.lookup(host, { family })
    return { host: res.address, family: res.family }
  }

  // ---- internal contracts with sockets and streams ----

  registerStream(stream: UDXStream): void {
    this.streams.set(stream.id, stream)
  }

  unregisterStream(stream: UDXStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id)
  }

  /** Datagrams for a stream dropped because they were larger than any UDX sender makes. */
  oversizedDropped = 0

  routePacket(socket: UDXSocket, buf: Uint8Array, port: number, host: string, family: 4 | 6): boolean {
    if (this.streams.size === 0 || !isUDXPacket(buf)) return false
    const stream = this.streams.get(readU32(buf, 4))
    if (stream === undefined) return false
    if (buf.length > MAX_STREAM_DATAGRAM) {
      this.oversizedDropped++
      return true
    }
    return stream.onPacket(socket, buf, port, host, family)
  }
}
