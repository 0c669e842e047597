// Hyperswarm between a Bun peer (hyperswarm + hyperdht with our UDX injected) and a Node.js peer
// (stock udx-native), over a private DHT on 127.0.0.1 whose bootstrap and second persistent node
// run under Bun on our UDX. Data flows both ways through the Noise secret stream. Budget: ~10 s.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { UDX } from '../../internal/udx/index.ts'
import { nodeAvailable, seededChunks, sha256Of } from './helpers.ts'
import { spawnNode, type NodeProc } from './node-peer.ts'

// hyperdht and hyperswarm ship no type declarations.
const DHT: any = require('hyperdht')
const Hyperswarm: any = require('hyperswarm')

const HAVE_NODE = nodeAvailable()
if (!HAVE_NODE) console.warn('test/udx/hyperswarm: `node` not found on PATH; Bun<->Node swarm test SKIPPED')

const HOST = '127.0.0.1'
const GREETING = 'hello from node'
const BYTES = 1_000_000

let bootstrapNodes: any[] = []
let bootstrap = ''

beforeAll(async () => {
  if (!HAVE_NODE) return
  // dht-rpc needs >= 2 persistent nodes for announce/lookup to meet; ephemeral peers use them.
  const first = new DHT({ bootstrap: [], ephemeral: false, firewalled: false, host: HOST, udx: new UDX() } as any)
  await first.fullyBootstrapped()
  bootstrap = `${HOST}:${first.address().port}`
  const second = new DHT({ bootstrap: [bootstrap], ephemeral: false, firewalled: false, host: HOST, udx: new UDX() } as any)
  await second.fullyBootstrapped()
  bootstrapNodes = [first, second]
})

afterAll(async () => {
  for (const n of bootstrapNodes.reverse()) await n.destroy()
})

/** Send BYTES seeded bytes on `conn`; resolve when the greeting plus our bytes came back intact. */
function exchange(conn: any, seed: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    let got = 0
    let prefix = ''
    conn.on('error', reject)
    conn.on('data', (d: Buffer) => {
      if (prefix.length < GREETING.length) {
        const take = Math.min(GREETING.length - prefix.length, d.length)
        prefix += d.subarray(0, take).toString()
        d = d.subarray(take)
      }
      h.update(d)
      got += d.length
      if (got === BYTES) {
        try {
          expect(prefix).toBe(GREETING)
          expect(h.digest('hex')).toBe(sha256Of(BYTES, seed))
          resolve()
        } catch (err) {
          reject(err)
        }
      }
    })
    for (const c of seededChunks(BYTES, seed, 16384)) conn.write(c)
  })
}

async function withPeers(fn: (bun: any, node: NodeProc, topic: Buffer) => Promise<void>) {
  const topic = randomBytes(32)
  const node = spawnNode('swarm-peer.cjs', [bootstrap, topic.toString('hex')])
  const dht = new DHT({ bootstrap: [bootstrap], host: HOST, firewalled: false, udx: new UDX() } as any)
  const bun = new Hyperswarm({ dht })
  try {
    expect((await node.next()).ready).toBe(true)
    await fn(bun, node, topic)
  } finally {
    node.tell({ exit: true })
    await Promise.race([node.exited, new Promise((r) => setTimeout(r, 3000))])
    node.kill()
    await bun.destroy()
  }
}

describe.skipIf(!HAVE_NODE)('hyperswarm: Bun (our UDX) <-> Node.js (udx-native)', () => {
  test('Node announces, Bun connects as client; data both ways', async () => {
    await withPeers(async (bun, node, topic) => {
      node.tell({ join: 'server' })
      expect((await node.next()).joined).toBe(true)
      const conn = new Promise<any>((r) => bun.once('connection', r))
      bun.join(topic, { server: false, client: true })
      const c = await conn
      expect((await node.next()).connected).toBe(bun.keyPair.publicKey.toString('hex'))
      await exchange(c, 21)
    })
  }, 30000)

  test('Bun announces, Node connects as client; data both ways', async () => {
    await withPeers(async (bun, node, topic) => {
      const conn = new Promise<any>((r) => bun.once('connection', r))
      await bun.join(topic, { server: true, client: false }).flushed()
      node.tell({ join: 'client' })
      const c = await conn
      const msgs = [await node.next(), await node.next()]
      expect(msgs.some((m) => m.connected === bun.keyPair.publicKey.toString('hex'))).toBe(true)
      await exchange(c, 22)
    })
  }, 30000)
})
