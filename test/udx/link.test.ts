// Our UDX (Bun) and udx-native (Node.js) on emulated links (test/fixtures/link: two namespaces
// joined by a userspace bridge with seeded loss, delay, jitter, duplication, corruption, a path-MTU
// black hole, outages; tbf for a bottleneck). Short scenarios from issue 16, each of which the
// NewReno sender this replaced failed; the full side-by-side table is scripts/bench/udx-links.ts.
// Needs root, iproute2, nsenter and a C compiler: skipped loudly otherwise. Budget: ~40 s.

import { describe, expect, test } from 'bun:test'
import { createLink, linkSupport, type LinkOptions } from '../fixtures/link/link.ts'
import { transfer, type TransferOptions } from '../fixtures/link/transfer.ts'
import { nodeAvailable } from './helpers.ts'

const why = linkSupport() ?? (nodeAvailable() ? null : 'udx-native needs `node` on PATH')
if (why) console.warn(`test/udx/link: ${why}; link tests SKIPPED`)

const MB = 1048576

async function onLink(link: LinkOptions, o: TransferOptions) {
  const l = await createLink(link)
  try {
    const r = await transfer(l, o)
    if (!r.ok) throw new Error(`${o.sender} -> ${o.receiver}: ${r.error}`)
    return r
  } finally {
    await l.close()
  }
}

describe.skipIf(why !== null)('udx over emulated links', () => {
  test('50 ms each way + 1% loss: 4 MiB ours -> ours in under 8 s, no stall over 300 ms', async () => {
    // NewReno needed ~27 s for this (0.15 MB/s); udx-native takes ~1 s
    const r = await onLink({ seed: 11, both: { delayMs: 50, loss: 0.01 } }, { sender: 'ours', receiver: 'ours', bytes: 4 * MB, seed: 11, timeoutMs: 60000 })
    expect(r.ms).toBeLessThan(8000)
    expect(r.maxGapMs).toBeLessThan(300)
    expect(r.senderStats.rtoCount).toBe(0)
  }, 70000)

  test('1% corruption + 1% duplication: no retransmission timeout, no stall over 300 ms', async () => {
    const r = await onLink({ seed: 12, both: { corrupt: 0.01, duplicate: 0.01 } }, { sender: 'ours', receiver: 'ours', bytes: 8 * MB, seed: 12, timeoutMs: 60000 })
    expect(r.senderStats.rtoCount).toBe(0)
    expect(r.maxGapMs).toBeLessThan(300)
    expect(r.senderStats.retransmits).toBeGreaterThan(0)
  }, 70000)

  test('a 1400-byte path (larger packets vanish): ours probes up to 1392 like udx-native, both ways intact', async () => {
    const link = { seed: 13, both: { delayMs: 10, mtu: 1400 } }
    const ours = await onLink(link, { sender: 'ours', receiver: 'native', bytes: 4 * MB, seed: 13 })
    const native = await onLink(link, { sender: 'native', receiver: 'ours', bytes: 4 * MB, seed: 14 })
    expect(ours.senderStats.mtu).toBe(1392)
    expect(native.senderStats.mtu).toBe(ours.senderStats.mtu)
  }, 70000)

  test('a 3 s outage mid-transfer: afterwards the rest arrives at over 3 MB/s', async () => {
    const r = await onLink({ seed: 14, both: { delayMs: 20 } }, {
      sender: 'ours', receiver: 'ours', bytes: 8 * MB, seed: 15, outage: { afterBytes: 4 * MB, ms: 3000 }, timeoutMs: 60000
    })
    expect(r.maxGapMs).toBeGreaterThan(2900) // the outage happened
    expect(r.afterOutageMbps).toBeGreaterThan(3)
  }, 70000)

  test('20 Mbit bottleneck + 50 ms each way: RTT under a saturating transfer at most 2x idle', async () => {
    const r = await onLink({ seed: 15, both: { delayMs: 50 }, rateMbit: 20 }, { sender: 'ours', receiver: 'ours', bytes: 6 * MB, seed: 16, probeRtt: true, timeoutMs: 60000 })
    expect(r.mbps).toBeGreaterThan(1.8) // fills the link (2.38 MiB/s)
    expect(r.loadedRttMs! / r.idleRttMs!).toBeLessThanOrEqual(2)
  }, 70000)

  test('interop with loss, duplication and reordering: udx-native -> ours and ours -> udx-native intact', async () => {
    const link = { seed: 16, both: { delayMs: 10, jitterMs: 3, loss: 0.01, duplicate: 0.01 } }
    const a = await onLink(link, { sender: 'native', receiver: 'ours', bytes: 4 * MB, seed: 17 })
    const b = await onLink(link, { sender: 'ours', receiver: 'native', bytes: 4 * MB, seed: 18 })
    expect(a.bytes).toBe(4 * MB)
    expect(b.bytes).toBe(4 * MB)
  }, 70000)
})
