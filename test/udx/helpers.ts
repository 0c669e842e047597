// Test helpers for internal/udx: seeded data, a lossy socket wrapper, a node peer spawner, polling.

import { createHash } from 'node:crypto'
import path from 'node:path'
import type { UDXSocket, UDXStream } from '../../internal/udx/index.ts'
import { waitUntil } from '../harness/wait.ts'

/** xorshift32: the same generator as test/fixtures/udx-node/peer.cjs (byte-identical streams). */
export function* seededChunks(total: number, seed: number, size = 65536): Generator<Buffer> {
  let x = seed >>> 0 || 1
  for (let off = 0; off < total; off += size) {
    const len = Math.min(size, total - off)
    const b = Buffer.allocUnsafe(len)
    for (let i = 0; i < len; i += 4) {
      x ^= x << 13
      x >>>= 0
      x ^= x >>> 17
      x ^= x << 5
      x >>>= 0
      b[i] = x & 0xff
      if (i + 1 < len) b[i + 1] = (x >>> 8) & 0xff
      if (i + 2 < len) b[i + 2] = (x >>> 16) & 0xff
      if (i + 3 < len) b[i + 3] = (x >>> 24) & 0xff
    }
    yield b
  }
}

export function sha256Of(total: number, seed: number): string {
  const h = createHash('sha256')
  for (const c of seededChunks(total, seed)) h.update(c)
  return h.digest('hex')
}

/** Seeded PRNG in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface Impairment {
  seed: number
  drop?: number
  duplicate?: number
  /** Probability that a packet is held back (delayed 1-5 ms) so later packets overtake it. */
  reorder?: number
}

export interface ImpairStats {
  sent: number
  dropped: number
  duplicated: number
  reordered: number
}

/** Wrap a socket's datagram output (sendRaw and sendMany) so it drops, duplicates and reorders at seeded rates. */
export function impair(socket: UDXSocket, opts: Impairment): ImpairStats {
  const rand = rng(opts.seed)
  const stats: ImpairStats = { sent: 0, dropped: 0, duplicated: 0, reordered: 0 }
  const raw = socket.sendRaw.bind(socket)
  socket.sendRaw = (buf, port, host, ttl) => {
    stats.sent++
    if (rand() < (opts.drop ?? 0)) {
      stats.dropped++
      return true
    }
    if (rand() < (opts.duplicate ?? 0)) {
      stats.duplicated++
      raw(buf, port, host, ttl)
    }
    if (rand() < (opts.reorder ?? 0)) {
      stats.reordered++
      const copy = new Uint8Array(buf)
      setTimeout(() => raw(copy, port, host, ttl), 1 + Math.floor(rand() * 5))
      return true
    }
    return raw(buf, port, host, ttl)
  }
  socket.sendMany = (bufs, port, host) => {
    let n = 0
    for (const b of bufs) if (socket.sendRaw(b, port, host)) n++
    return n
  }
  return stats
}

/** Poll `cond` until true or the deadline passes (no sleeps as synchronisation). */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(what, () => cond() || undefined, timeoutMs, 5)
}

/** Write `total` seeded bytes with backpressure, then end. Resolves when all are queued. */
export async function writeSeeded(stream: UDXStream, total: number, seed: number): Promise<void> {
  for (const c of seededChunks(total, seed)) {
    if (!stream.write(c)) await new Promise<void>((r) => stream.once('drain', () => r()))
  }
  stream.end()
}

/** Collect everything a stream delivers until 'end'; resolves with byte count and sha256. */
export function readAll(stream: UDXStream): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    let bytes = 0
    stream.on('data', (d: unknown) => {
      h.update(d as Buffer)
      bytes += (d as Buffer).length
    })
    stream.on('end', () => resolve({ bytes, sha256: h.digest('hex') }))
    stream.on('error', reject)
  })
}

export const FIXTURES = path.join(import.meta.dir, '../fixtures/udx-node')

export function nodeAvailable(): boolean {
  return Bun.which('node') !== null
}
