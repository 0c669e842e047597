// Interop over real UDP on 127.0.0.1: our UDX under Bun <-> stock udx-native under Node.js, both
// directions, 10 MB with sha256 checksums; also with our side dropping/reordering packets.
// Budget: ~10 s. Skips loudly when `node` is not on PATH.

import { afterEach, describe, expect, test } from 'bun:test'
import { UDX } from '../../internal/udx/index.ts'
import { impair, nodeAvailable, readAll, sha256Of, waitFor, writeSeeded } from './helpers.ts'
import { spawnNode, type NodeProc } from './node-peer.ts'

const HAVE_NODE = nodeAvailable()
if (!HAVE_NODE) console.warn('test/udx/interop: `node` not found on PATH; interop tests SKIPPED')

const procs: NodeProc[] = []
const sockets: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const p of procs.splice(0)) p.kill()
  for (const s of sockets.splice(0)) await s.close()
})

const MB10 = 10 * 1024 * 1024

async function setup(mode: 'send' | 'recv', bytes: number, seed: number, lossy = false) {
  const node = spawnNode('peer.cjs', [mode, bytes, seed])
  procs.push(node)
  const hello = await node.next()
  expect(hello.port).toBeGreaterThan(0)
  const udx = new UDX()
  const socket = udx.createSocket()
  socket.bind(0, '127.0.0.1')
  sockets.push(socket)
  if (lossy) impair(socket, { seed, drop: 0.02, duplicate: 0.01, reorder: 0.03 })
  const id = 0x7000 + seed
  const stream = udx.createStream(id, { sender: { minRtoMs: 200 } })
  stream.on('error', () => {})
  stream.connect(socket, hello.id, hello.port, '127.0.0.1')
  node.tell({ port: socket.address()!.port, host: '127.0.0.1', remoteId: id })
  return { node, stream }
}

describe.skipIf(!HAVE_NODE)('udx interop with stock udx-native under Node.js', () => {
  test('Bun -> Node: 10 MB arrive intact', async () => {
    const { node, stream } = await setup('recv', MB10, 11)
    stream.resume()
    const closed = new Promise<void>((r) => stream.once('close', () => r()))
    await writeSeeded(stream, MB10, 11)
    const res = await node.next()
    expect(res.done).toEqual({ received: MB10, sha256: sha256Of(MB10, 11), ms: expect.any(Number) })
    await closed
  }, 30000)

  test('Node -> Bun: 10 MB arrive intact', async () => {
    const { node, stream } = await setup('send', MB10, 12)
    const got = readAll(stream)
    stream.on('end', () => stream.end())
    const r = await got
    expect(r).toEqual({ bytes: MB10, sha256: sha256Of(MB10, 12) })
    const res = await node.next()
    expect(res.done.sha256).toBe(r.sha256)
  }, 30000)

  test('udx-native respects our receive window while we do not read, then resumes', async () => {
    const total = 8 * 1024 * 1024
    const { node, stream } = await setup('send', total, 15)
    const buffered = () => (stream as any)._readableState.buffered as number
    await waitFor(() => buffered() >= 4 * 1024 * 1024 - 64 * 1024, 10000, 'our window to fill')
    const stalledAt = stream.bytesReceived
    await new Promise((r) => setTimeout(r, 150))
    expect(stream.bytesReceived - stalledAt).toBeLessThan(64 * 1024)
    const got = readAll(stream)
    stream.on('end', () => stream.end())
    expect(await got).toEqual({ bytes: total, sha256: sha256Of(total, 15) })
    expect((await node.next()).done.sent).toBe(total)
  }, 30000)

  test('both directions with our side dropping, duplicating and reordering', async () => {
    const { node, stream } = await setup('send', 2_000_000, 13, true)
    const got = readAll(stream)
    stream.on('end', () => stream.end())
    expect(await got).toEqual({ bytes: 2_000_000, sha256: sha256Of(2_000_000, 13) })
    expect((await node.next()).done.sent).toBe(2_000_000)

    const up = await setup('recv', 2_000_000, 14, true)
    up.stream.resume()
    await writeSeeded(up.stream, 2_000_000, 14)
    expect((await up.node.next()).done).toMatchObject({ received: 2_000_000, sha256: sha256Of(2_000_000, 14) })
    expect(up.stream.retransmits).toBeGreaterThan(0)
  }, 30000)
})
