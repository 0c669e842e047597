// UDX streams over real UDP on 127.0.0.1: exact in-order delivery (also through a seeded lossy,
// reordering, duplicating wrapper), large transfers, many streams, close/half-close/destroy.
// Budget: ~15 s.

import { afterEach, describe, expect, test } from 'bun:test'
import { UDX, type UDXSocket, type UDXStream, type StreamOptions } from '../../internal/udx/index.ts'
import { impair, readAll, sha256Of, waitFor, writeSeeded, type Impairment } from './helpers.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

function sockets(udx: UDX): [UDXSocket, UDXSocket] {
  const sa = udx.createSocket()
  sa.bind(0, '127.0.0.1')
  const sb = udx.createSocket()
  sb.bind(0, '127.0.0.1')
  cleanups.push(async () => {
    await Promise.all([sa.close(), sb.close()])
  })
  return [sa, sb]
}

let nextId = 1
function pair(sa: UDXSocket, sb: UDXSocket, udx: UDX, opts: StreamOptions = {}): [UDXStream, UDXStream] {
  const ia = nextId++
  const ib = nextId++
  const a = udx.createStream(ia, opts)
  const b = udx.createStream(ib, opts)
  a.connect(sa, ib, sb.address()!.port, '127.0.0.1')
  b.connect(sb, ia, sa.address()!.port, '127.0.0.1')
  cleanups.unshift(async () => {
    a.destroy()
    b.destroy()
  })
  return [a, b]
}

async function transfer(a: UDXStream, b: UDXStream, bytes: number, seed: number) {
  const got = readAll(b)
  b.on('end', () => b.end())
  await writeSeeded(a, bytes, seed)
  const r = await got
  expect(r.bytes).toBe(bytes)
  expect(r.sha256).toBe(sha256Of(bytes, seed))
}

describe('udx streams on loopback', () => {
  test('deliver exactly the bytes sent, in order, and close cleanly without DESTROY', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const flags: number[] = []
    for (const s of [sa, sb]) {
      const raw = s.sendRaw.bind(s)
      const many = s.sendMany.bind(s)
      s.sendRaw = (buf, port, host, ttl) => (flags.push(buf[2]), raw(buf, port, host, ttl))
      s.sendMany = (bufs, port, host) => (bufs.forEach((b) => flags.push(b[2])), many(bufs, port, host))
    }
    const [a, b] = pair(sa, sb, udx)
    const closed = Promise.all([new Promise<void>((r) => a.once('close', () => r())), new Promise<void>((r) => b.once('close', () => r()))])
    a.resume()
    await transfer(a, b, 1_000_003, 7)
    await closed
    expect(flags.some((f) => f & 0x10)).toBe(false)
    expect(sa.idle && sb.idle).toBe(true)
  })

  for (const imp of [
    { seed: 1, drop: 0.03, duplicate: 0.02, reorder: 0.05 },
    { seed: 2, drop: 0.1, duplicate: 0.05, reorder: 0.1 }
  ] satisfies Impairment[]) {
    test(`survive loss ${imp.drop}, duplication ${imp.duplicate}, reordering ${imp.reorder} (seed ${imp.seed})`, async () => {
      const udx = new UDX()
      const [sa, sb] = sockets(udx)
      const sta = impair(sa, imp)
      const stb = impair(sb, { ...imp, seed: imp.seed + 100 })
      const [a, b] = pair(sa, sb, udx, { sender: { minRtoMs: 200 } })
      const back = readAll(a)
      const there = transfer(a, b, 3_000_000, imp.seed)
      await writeSeeded(b, 500_000, imp.seed + 1)
      await there
      const r = await back
      expect(r.sha256).toBe(sha256Of(500_000, imp.seed + 1))
      expect(sta.dropped).toBeGreaterThan(0)
      expect(stb.dropped).toBeGreaterThan(0)
      expect(sta.reordered + sta.duplicated).toBeGreaterThan(0)
      expect(a.retransmits).toBeGreaterThan(0)
    }, 30000)
  }

  test('a 50 MB transfer arrives intact', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const [a, b] = pair(sa, sb, udx)
    a.resume()
    await transfer(a, b, 50 * 1024 * 1024, 50)
  }, 30000)

  test('64 concurrent streams on one socket pair, both directions', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const jobs: Promise<void>[] = []
    for (let i = 0; i < 64; i++) {
      const [a, b] = pair(sa, sb, udx)
      const back = readAll(a).then((r) => expect(r.sha256).toBe(sha256Of(50_000, 1000 + i)))
      jobs.push(transfer(a, b, 200_000 + i, i), writeSeeded(b, 50_000, 1000 + i), back)
    }
    await Promise.all(jobs)
    expect(sa.streams.size).toBeLessThanOrEqual(64)
  }, 30000)

  test('half-close: the other side keeps writing after end; both close without error', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const [a, b] = pair(sa, sb, udx)
    const errs: unknown[] = []
    a.on('error', (e) => errs.push(e))
    b.on('error', (e) => errs.push(e))
    const bEnded = new Promise<void>((r) => b.once('end', () => r()))
    b.resume()
    a.end('bye')
    await bEnded
    const back = readAll(a)
    await writeSeeded(b, 300_000, 9)
    expect((await back).sha256).toBe(sha256Of(300_000, 9))
    await waitFor(() => a.destroyed && b.destroyed, 5000, 'both streams closed')
    expect(errs).toEqual([])
  })

  test('flow control: an unread stream advertises a shrinking window and the sender stops', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const [a, b] = pair(sa, sb, udx)
    const total = 12 * 1024 * 1024
    const writing = writeSeeded(a, total, 5)
    const buffered = () => (b as any)._readableState.buffered as number
    await waitFor(() => buffered() >= 4 * 1024 * 1024 - 2000, 10000, 'receiver buffer to fill the window')
    const stalledAt = b.bytesReceived
    await new Promise((r) => setTimeout(r, 100))
    expect(b.bytesReceived - stalledAt).toBeLessThan(64 * 1024)
    expect(b.bytesReceived).toBeLessThan(total / 2)
    const got = readAll(b)
    b.on('end', () => b.end())
    await writing
    expect(await got).toEqual({ bytes: total, sha256: sha256Of(total, 5) })
  }, 20000)

  test('graceful close survives a lost final ACK: the closed side lingers and re-acks', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const [a, b] = pair(sa, sb, udx)
    const errs: string[] = []
    a.on('error', (e: any) => errs.push('a ' + e.code))
    b.on('error', (e: any) => errs.push('b ' + e.code))
    let dropped = 0
    const raw = sa.sendRaw.bind(sa)
    // drop a's first pure ACK of b's END (b sends only END, seq 0, so that ACK carries ack = 1)
    sa.sendRaw = (buf, port, host, ttl) => {
      if (dropped === 0 && buf[2] === 0 && buf.length === 20 && buf[16] === 1) return (dropped++, true)
      return raw(buf, port, host, ttl)
    }
    a.resume()
    b.resume()
    b.once('end', () => b.end())
    a.end('bye')
    await waitFor(() => a.destroyed, 5000, 'a closed')
    await waitFor(() => b.destroyed, 5000, 'b closed thanks to the lingering ack')
    expect(dropped).toBe(1)
    expect(errs).toEqual([])
  })

  test('destroy() resets the peer with ECONNRESET', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const [a, b] = pair(sa, sb, udx)
    const err = new Promise<any>((r) => b.once('error', r))
    b.resume()
    a.write('hello')
    await waitFor(() => b.bytesReceived === 5, 2000, 'data')
    a.destroy()
    expect((await err).code).toBe('ECONNRESET')
    await waitFor(() => b.destroyed && sa.idle && sb.idle, 2000, 'close')
  })

  test('a peer that stops answering times out with ETIMEDOUT', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    impair(sa, { seed: 3, drop: 1 })
    const [a] = pair(sa, sb, udx, { sender: { minRtoMs: 10, maxRtoMs: 20 } })
    const err = new Promise<any>((r) => a.once('error', r))
    a.write('into the void')
    expect((await err).code).toBe('ETIMEDOUT')
  })

  test('stream messages (including empty ones) and flush()', async () => {
    const udx = new UDX()
    const [sa, sb] = sockets(udx)
    const [a, b] = pair(sa, sb, udx)
    const msgs: string[] = []
    b.on('message', (m: unknown) => {
      msgs.push(Buffer.from(m as Uint8Array).toString())
    })
    expect(await a.send(Buffer.from('one'))).toBe(true)
    a.trySend(Buffer.alloc(0))
    await waitFor(() => msgs.length === 2, 2000, 'messages')
    expect(msgs).toEqual(['one', ''])
    b.resume()
    a.write(Buffer.alloc(100_000, 1))
    expect(await a.flush()).toBe(true)
    expect(a.inflight).toBe(0)
  })
})
