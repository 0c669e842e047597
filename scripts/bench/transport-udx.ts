// UDX half of `scripts/bench/transport`: stream throughput and round-trip time over loopback for
// our UDX under Bun vs the stock udx-native under Node.js, measured in the same run with the same
// peer script (test/fixtures/udx-node/peer.cjs; UDX_IMPL switches it to internal/udx). Each pair is
// two processes (sender, receiver) on 127.0.0.1. Targets: >= 0.5x throughput, RTT within 2x.
// Then (as root; UDX_BENCH_LINKS=0 skips it) the issue-16 table over emulated links:
// scripts/bench/udx-links.ts (~10 minutes).

import path from 'node:path'
import { runLinkTable } from './udx-links.ts'

const ROOT = path.join(import.meta.dir, '../..')
const PEER = path.join(ROOT, 'test/fixtures/udx-node/peer.cjs')
const OURS = path.join(ROOT, 'internal/udx/index.ts')

export type Impl = 'node' | 'bun'

interface Proc {
  next(): Promise<any>
  tell(o: unknown): void
  kill(): void
}

function spawnPeer(impl: Impl, args: (string | number)[]): Proc {
  const cmd = impl === 'node' ? ['node', PEER] : [process.execPath, PEER]
  const env = impl === 'bun' ? { ...process.env, UDX_IMPL: OURS } : { ...process.env, UDX_IMPL: '' }
  const p = Bun.spawn([...cmd, ...args.map(String)], { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit', env })
  const reader = (p.stdout as ReadableStream<Uint8Array>).getReader()
  const dec = new TextDecoder()
  let buf = ''
  return {
    async next() {
      for (;;) {
        const i = buf.indexOf('\n')
        if (i !== -1) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          if (line.trim()) return JSON.parse(line)
          continue
        }
        const { value, done } = await reader.read()
        if (done) throw new Error(`${impl} peer exited early`)
        buf += dec.decode(value, { stream: true })
      }
    },
    tell(o) {
      p.stdin.write(JSON.stringify(o) + '\n')
      p.stdin.flush()
    },
    kill: () => p.kill()
  }
}

/** Run one pair: `a` in modeA, `b` in modeB; returns both final reports. */
async function pair(implA: Impl, modeA: string, implB: Impl, modeB: string, n: number): Promise<[any, any]> {
  const a = spawnPeer(implA, [modeA, n, 0]) // seed 0: constant data, no hashing (transport cost only)
  const b = spawnPeer(implB, [modeB, n, 0])
  try {
    const [ha, hb] = await Promise.all([a.next(), b.next()])
    a.tell({ port: hb.port, host: '127.0.0.1', remoteId: hb.id })
    b.tell({ port: ha.port, host: '127.0.0.1', remoteId: ha.id })
    const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('bench pair timed out')), 120000))
    const [ra, rb] = await Promise.race([Promise.all([a.next(), b.next()]), timeout])
    return [ra.done ?? ra, rb.done ?? rb]
  } finally {
    a.kill()
    b.kill()
  }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]

export interface UdxBenchResult {
  throughputMBs: Record<string, number>
  rttMedianUs: Record<string, number>
  rttP99Us: Record<string, number>
}

export async function runUdxBench(opts: { mb?: number; trials?: number; pings?: number } = {}): Promise<UdxBenchResult> {
  const bytes = (opts.mb ?? 64) * 1024 * 1024
  const trials = opts.trials ?? 3
  const pings = opts.pings ?? 2000
  const res: UdxBenchResult = { throughputMBs: {}, rttMedianUs: {}, rttP99Us: {} }
  const combos: [string, Impl, Impl][] = [
    ['node udx-native -> node udx-native', 'node', 'node'],
    ['bun ours -> bun ours', 'bun', 'bun'],
    ['bun ours -> node udx-native', 'bun', 'node'],
    ['node udx-native -> bun ours', 'node', 'bun']
  ]
  for (const [name, s, r] of combos) {
    const runs: number[] = []
    for (let t = 0; t < trials; t++) {
      const [, recv] = await pair(s, 'send', r, 'recv', bytes)
      if (recv.received !== bytes) throw new Error(`${name}: received ${recv.received} of ${bytes}`)
      runs.push(bytes / 1048576 / (recv.ms / 1000))
    }
    res.throughputMBs[name] = median(runs)
    console.log(`throughput  ${name.padEnd(36)} ${median(runs).toFixed(1).padStart(7)} MB/s  (runs: ${runs.map((x) => x.toFixed(1)).join(', ')})`)
  }
  for (const [name, impl] of [['node udx-native', 'node'], ['bun ours', 'bun']] as [string, Impl][]) {
    const [ping] = await pair(impl, 'ping', impl, 'echo', pings)
    res.rttMedianUs[name] = ping.medianUs
    res.rttP99Us[name] = ping.p99Us
    console.log(`rtt         ${name.padEnd(36)} median ${ping.medianUs.toFixed(0).padStart(5)} us  p99 ${ping.p99Us.toFixed(0).padStart(6)} us  (${ping.pings} pings, 64 B)`)
  }
  const tput = res.throughputMBs['bun ours -> bun ours'] / res.throughputMBs['node udx-native -> node udx-native']
  const rtt = res.rttMedianUs['bun ours'] / res.rttMedianUs['node udx-native']
  console.log(`ratio       throughput ours/udx-native ${tput.toFixed(2)}x (target >= 0.5x: ${tput >= 0.5 ? 'MET' : 'MISSED'})`)
  console.log(`ratio       rtt median ours/udx-native ${rtt.toFixed(2)}x (target <= 2x: ${rtt <= 2 ? 'MET' : 'MISSED'})`)
  if (process.env.UDX_BENCH_LINKS !== '0') await runLinkTable()
  return res
}

if (import.meta.main) {
  const mb = Number(process.argv[2] || 64)
  await runUdxBench({ mb })
}
