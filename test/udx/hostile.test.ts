// A rogue UDP sender against a live UDX stream (issue 10 finding 1): it knows the stream's id (as a
// peer of its own connection does) and sends oversized datagrams and out-of-order data with forged
// sequence numbers. The stream must drop datagrams no UDX sender makes and hold at most its
// advertised window (4 MiB) of out-of-order data, and keep delivering the honest peer's bytes.
// Before the fix: 4,000 packets of 60 KB raised RSS by 253 MiB (all held out of order).

import { afterEach, describe, expect, test } from 'bun:test'
import { createSocket, type Socket } from 'node:dgram'
import { UDX, packet, type UDXStream } from '../../internal/udx/index.ts'
import { readAll, sha256Of, waitFor, writeSeeded } from './helpers.ts'

const { encode, FLAG_DATA, DEFAULT_RWND, MAX_STREAM_DATAGRAM } = packet

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function setup(): Promise<{ udx: UDX; a: UDXStream; b: UDXStream; bPort: number; bId: number; rogue: Socket; received: () => number }> {
  const udx = new UDX()
  const sa = udx.createSocket()
  sa.bind(0, '127.0.0.1')
  const sb = udx.createSocket()
  sb.bind(0, '127.0.0.1')
  const a = udx.createStream(101)
  const b = udx.createStream(202)
  a.connect(sa, 202, sb.address()!.port, '127.0.0.1')
  b.connect(sb, 101, sa.address()!.port, '127.0.0.1')
  const rogue = createSocket('udp4')
  await new Promise<void>((r) => rogue.bind(0, '127.0.0.1', () => r()))
  cleanups.push(async () => {
    a.destroy()
    b.destroy()
    await new Promise<void>((r) => rogue.close(() => r()))
    await Promise.all([sa.close(), sb.close()])
  })
  return { udx, a, b, bPort: sb.address()!.port, bId: 202, rogue, received: () => sb.packetsReceived }
}

/** Sends `n` DATA packets to stream `id`, seqs from `firstSeq` (far ahead of what it expects),
 * letting the receiver (this process) keep up so the kernel does not drop them. */
async function flood(rogue: Socket, port: number, id: number, n: number, size: number, firstSeq: number, received: () => number): Promise<void> {
  const payload = Buffer.alloc(size, 0x5a)
  const start = received()
  for (let i = 0; i < n; i++) {
    const p = encode({ type: FLAG_DATA, dataOffset: 0, id, rwnd: DEFAULT_RWND, seq: firstSeq + i, ack: 0 }, payload)
    await new Promise<void>((r) => rogue.send(p, port, '127.0.0.1', () => r()))
    if (i % 32 === 31) await waitFor(() => received() - start >= i + 1, 5000, `receiver caught up with packet ${i}`)
  }
  await waitFor(() => received() - start >= n, 5000, 'all packets received')
}

describe('udx stream against a rogue UDP sender', () => {
  test('datagrams larger than any UDX sender makes are dropped before the stream sees them', async () => {
    const { udx, b, bPort, bId, rogue, received } = await setup()
    await flood(rogue, bPort, bId, 400, 60_000, 10, received)
    expect(udx.oversizedDropped).toBe(400)
    expect(b.heldBytes).toBe(0)
    expect(MAX_STREAM_DATAGRAM).toBe(1472)
  }, 20_000)

  test('out-of-order data is held up to the advertised window, and the honest transfer still completes', async () => {
    const { a, b, bPort, bId, rogue, received } = await setup()
    // 8,000 x 1,400 B = 11.2 MB of forged future data (MAX_AHEAD allows 16,384 packets).
    await flood(rogue, bPort, bId, 8000, 1400, 100, received)
    expect(b.heldBytes).toBeGreaterThan(DEFAULT_RWND - 1400)
    expect(b.heldBytes).toBeLessThanOrEqual(DEFAULT_RWND)
    const got = readAll(b)
    b.on('end', () => b.end())
    await writeSeeded(a, 50_000, 7) // seqs 0.. reach the receiver before the forged ones
    const r = await got
    expect(r.sha256).toBe(sha256Of(50_000, 7))
  }, 30_000)
})
