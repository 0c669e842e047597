// The udx-native API subset that dht-rpc, hyperdht and secret-stream rely on: synchronous bind,
// demultiplexing into 'message', the firewall hook, pre-connect data, changeRemote, relayTo,
// interfaces and lookup. Real UDP on loopback. Budget: < 3 s.

import { afterEach, describe, expect, test } from 'bun:test'
import { UDX, type UDXSocket, type UDXStream } from '../../internal/udx/index.ts'
import { createHash } from 'node:crypto'
import { readAll, rng, waitFor } from './helpers.ts'

const closers: (() => unknown)[] = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

function sock(udx: UDX, host = '127.0.0.1'): UDXSocket {
  const s = udx.createSocket()
  s.bind(0, host)
  closers.push(() => s.close())
  return s
}

function stream(udx: UDX, id: number, opts = {}): UDXStream {
  const s = udx.createStream(id, opts)
  s.on('error', () => {})
  closers.push(() => s.destroy())
  return s
}

const port = (s: UDXSocket) => s.address()!.port

function messages(s: UDXSocket) {
  const got: { buf: Buffer; rinfo: any }[] = []
  s.on('message', (buf: Buffer, rinfo: any) => got.push({ buf: Buffer.from(buf), rinfo }))
  return got
}

describe('sockets', () => {
  test('bind is synchronous, rejects a second bind and a taken port', () => {
    const udx = new UDX()
    const a = sock(udx)
    expect(a.bound).toBe(true)
    expect(a.address()).toEqual({ host: '127.0.0.1', family: 4, port: expect.any(Number) })
    expect(() => a.bind(0)).toThrow('Already bound')
    const b = udx.createSocket()
    closers.push(() => b.close())
    expect(() => b.bind(port(a), '127.0.0.1')).toThrow()
    expect(() => udx.createSocket().bind(0, 'localhost')).toThrow('not a valid IP address')
  })

  test('a dual-stack socket reports IPv4 senders as family 4; non-UDX and unknown ids go to message', async () => {
    const udx = new UDX()
    const a = udx.createSocket()
    a.bind(0)
    closers.push(() => a.close())
    const b = sock(udx)
    const got = messages(a)
    stream(udx, 5) // a stream exists, so the stream path is tried first
    expect(await b.send(Buffer.from([0x13, 1, 2]), port(a))).toBe(true)
    const unknownId = Buffer.alloc(20)
    unknownId[0] = 0xff
    unknownId[1] = 1
    unknownId[4] = 9
    b.trySend(unknownId, port(a), '127.0.0.1', 64)
    b.trySend(Buffer.alloc(3000, 1), port(a), '127.0.0.1')
    await waitFor(() => got.length === 3, 2000, 'three datagrams')
    expect(got[0].rinfo).toEqual({ host: '127.0.0.1', family: 4, port: port(b) })
    expect([...got[0].buf]).toEqual([0x13, 1, 2])
    expect(got[1].buf.length).toBe(20)
    expect(got[2].buf.length).toBe(2048)
  })

  test('close waits for attached streams; busy/idle events; send after close is false', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const events: string[] = []
    a.on('busy', () => events.push('busy')).on('idle', () => events.push('idle'))
    const s1 = stream(udx, 1)
    const s2 = stream(udx, 2)
    s1.connect(a, 2, port(b))
    s2.connect(b, 1, port(a))
    let closed = false
    a.close().then(() => (closed = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(closed).toBe(false)
    expect(await a.send(Buffer.from('x'), port(b))).toBe(false)
    s1.destroy()
    await waitFor(() => closed, 2000, 'socket close')
    expect(events).toEqual(['busy'])
  })
})

describe('streams', () => {
  test('packet size: 1500 MTU to loopback (as libudx probes to), or the mtu option', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const sizes: number[] = []
    const many = a.sendMany.bind(a)
    a.sendMany = (bufs, p, h) => (bufs.forEach((x) => sizes.push(x.length)), many(bufs, p, h))
    const s = stream(udx, 1)
    const r = stream(udx, 2)
    s.connect(a, 2, port(b))
    r.connect(b, 1, port(a))
    r.resume()
    s.write(Buffer.alloc(10_000))
    await s.flush()
    expect(s.mtu).toBe(1500)
    expect(Math.max(...sizes)).toBe(1500 - 28)
    const small = stream(udx, 3, { mtu: 1200 })
    small.connect(a, 4, port(b))
    expect(small.mtu).toBe(1200)
  })

  test('writing before connect throws ERR_ASSERTION; string writes become bytes', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const s = stream(udx, 1)
    expect(() => (s as any)._writev([Buffer.from('x')], () => {})).toThrow(expect.objectContaining({ code: 'ERR_ASSERTION' }))
    const r = stream(udx, 2)
    s.connect(a, 2, port(b))
    r.connect(b, 1, port(a))
    const all = readAll(r)
    s.end('text')
    r.end()
    expect((await all).bytes).toBe(4)
  })

  test('default firewall drops packets for an unconnected stream', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const target = stream(udx, 2)
    let data = 0
    target.on('data', () => data++)
    const s = stream(udx, 1)
    s.connect(a, 2, port(b))
    s.write('hello')
    await new Promise((r) => setTimeout(r, 30))
    expect(data).toBe(0)
  })

  test('hyperdht-style firewall connects synchronously; the triggering packet is delivered', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const calls: any[] = []
    const target = stream(udx, 2, {
      firewall(socket: UDXSocket, p: number, host: string, family: number) {
        calls.push({ p, host, family })
        target.connect(socket, 1, p, host)
        return false
      }
    })
    const s = stream(udx, 1)
    s.connect(a, 2, port(b))
    const got = readAll(target)
    s.end('first packet')
    target.end()
    const r = await got
    expect(r.bytes).toBe(12)
    expect(calls).toEqual([{ p: port(a), host: '127.0.0.1', family: 4 }])
  })

  test('accepting without connecting delivers data early and acks on connect', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const target = stream(udx, 2, { firewall: () => false })
    const chunks: string[] = []
    target.on('data', (d: unknown) => {
      chunks.push(String(d))
    })
    const s = stream(udx, 1)
    s.connect(a, 2, port(b))
    s.write('early')
    await waitFor(() => chunks.length === 1, 2000, 'pre-connect data')
    expect(s.inflight).toBe(5)
    target.connect(b, 1, port(a))
    await waitFor(() => s.inflight === 0, 2000, 'ack after connect')
  })

  test('a DESTROY before connect surfaces as an error (hyperdht listens for it)', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const target = udx.createStream(2, { firewall: () => false })
    const err = new Promise<any>((r) => target.once('error', r))
    const s = stream(udx, 1)
    s.connect(a, 2, port(b))
    s.destroy()
    expect((await err).code).toBe('ECONNRESET')
  })

  test('changeRemote moves a stream to another socket and resolves when earlier data is acked', async () => {
    const udx = new UDX()
    const a1 = sock(udx)
    const a2 = sock(udx)
    const b = sock(udx)
    const s = stream(udx, 1)
    const r = stream(udx, 2, { firewall: () => false })
    s.connect(a1, 2, port(b))
    r.connect(b, 1, port(a1))
    const got = readAll(r)
    s.write(Buffer.alloc(50_000, 1))
    await s.changeRemote(a2, 2, port(b))
    expect(s.socket).toBe(a2)
    expect(a1.streams.size).toBe(0)
    await r.changeRemote(b, 1, port(a2))
    s.end(Buffer.alloc(50_000, 2))
    r.end()
    expect((await got).bytes).toBe(100_000)
  })

  test('relayTo forwards both directions with only the id rewritten', async () => {
    const udx = new UDX()
    const relayUdx = new UDX()
    const sa = sock(udx)
    const sb = sock(udx)
    const sr = sock(relayUdx)
    const a = stream(udx, 10)
    const b = stream(udx, 20)
    const r1 = stream(relayUdx, 11, { firewall: () => false })
    const r2 = stream(relayUdx, 21, { firewall: () => false })
    r1.connect(sr, 10, port(sa))
    r2.connect(sr, 20, port(sb))
    r1.relayTo(r2)
    r2.relayTo(r1)
    a.connect(sa, 11, port(sr))
    b.connect(sb, 21, port(sr), '127.0.0.1')
    // b receives packets from the relay socket, which is its connected socket's remote.
    const got = readAll(b)
    const back = readAll(a)
    a.end(Buffer.alloc(200_000, 3))
    b.end(Buffer.alloc(1000, 4))
    expect((await got).bytes).toBe(200_000)
    expect((await back).bytes).toBe(1000)
    // graceful close needs the END acks to cross the relay, so keep it up until both closed
    await waitFor(() => a.destroyed && b.destroyed, 5000, 'both ends closed through the relay')
  })
})

describe('hostile input', () => {
  test('random packets with a live stream id never throw and never corrupt the byte stream', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const evil = sock(new UDX())
    const s = stream(udx, 1)
    const r = stream(udx, 2)
    s.connect(a, 2, port(b))
    r.connect(b, 1, port(a))
    const got = readAll(r)
    const rand = rng(99)
    for (let i = 0; i < 2000; i++) {
      const len = 20 + Math.floor(rand() * 100)
      const buf = Buffer.alloc(len)
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256)
      buf[0] = 0xff
      buf[1] = 1
      buf.writeUInt32LE(2, 4)
      buf[2] &= ~0x10 // not DESTROY: a forged DESTROY with a valid seq legitimately resets
      buf.writeUInt32LE(Math.floor(rand() * 2 ** 32), 16) // acks beyond snd.nxt must be ignored
      buf.writeUInt32LE(0x80000000 + Math.floor(rand() * 2 ** 30), 12) // far from any real seq
      evil.trySend(buf, port(b))
    }
    s.end(Buffer.alloc(100_000, 7))
    r.end()
    const res = await got
    expect(res.bytes).toBe(100_000)
    expect(res.sha256).toBe(createHash('sha256').update(Buffer.alloc(100_000, 7)).digest('hex'))
  })
})

describe('UDX instance', () => {
  test('end() before connect is sent once connected; instance counters add up', async () => {
    const udx = new UDX()
    const a = sock(udx)
    const b = sock(udx)
    const s = stream(udx, 1)
    const r = stream(udx, 2)
    const ended = new Promise<void>((res) => r.once('end', () => res()))
    r.resume()
    s.end()
    await new Promise((res) => setTimeout(res, 10))
    r.connect(b, 1, port(a))
    s.connect(a, 2, port(b))
    await ended
    expect(udx.packetsTransmitted).toBe(a.packetsTransmitted + b.packetsTransmitted)
    expect(udx.bytesReceived).toBeGreaterThan(0)
  })

  test('IP helpers, interfaces, watcher and lookup', async () => {
    expect(UDX.isIP('127.0.0.1')).toBe(4)
    expect(UDX.isIP('fe80::1%eth0')).toBe(6)
    expect(UDX.isIP('localhost')).toBe(0)
    expect(UDX.isIPv4('1.2.3.4') && UDX.isIPv6('::1')).toBe(true)
    const udx = new UDX()
    const ifs = udx.networkInterfaces()
    expect(ifs).toContainEqual({ name: expect.any(String), host: '127.0.0.1', family: 4, internal: true })
    const w = udx.watchNetworkInterfaces(() => {})
    expect([...w].length).toBe(ifs.length)
    const closed = new Promise<void>((r) => w.once('close', () => r()))
    await w.destroy()
    await closed
    expect(await udx.lookup('localhost', { family: 4 })).toEqual({ host: '127.0.0.1', family: 4 })
  })
})
