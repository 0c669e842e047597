// UDX on emulated links (issue 16): one stream of 20 MiB (sha256 checked) per run, sender in one
// namespace, receiver in another, joined by test/fixtures/link (userspace bridge: delay, loss,
// duplication, corruption, outage; tbf bottleneck). Every pairing of our UDX under Bun ('ours') and
// udx-native under Node.js ('native'), 3 runs each, medians; ratios ours/native per link condition:
//   both      = ours->ours / native->native
//   as sender = ours->native / native->native      as receiver = native->ours / native->native
// Targets: >= 0.8 everywhere, >= 1.0 on clean links; no stall over 300 ms at 1% loss; RTT under a
// saturating transfer <= 2x idle. Needs root (namespaces); prints why and returns otherwise.
// Usage: bun scripts/bench/udx-links.ts [MiB=20] [runs=3] [row-filter]

import { linkSupport, createLink, type LinkOptions } from '../../test/fixtures/link/link.ts'
import { transfer, type Impl, type TransferResult } from '../../test/fixtures/link/transfer.ts'

interface Row {
  name: string
  link: LinkOptions
  outage?: boolean
  rtt?: boolean
}

export const ROWS: Row[] = [
  { name: 'clean veth (no bridge)', link: { direct: true } },
  { name: 'clean, through the bridge', link: {} },
  { name: '20 ms each way', link: { both: { delayMs: 20 } } },
  { name: '50 ms each way + 1% loss', link: { both: { delayMs: 50, loss: 0.01 } } },
  { name: '50 ms each way + 5% loss', link: { both: { delayMs: 50, loss: 0.05 } } },
  { name: '1% corruption + 1% duplication', link: { both: { corrupt: 0.01, duplicate: 0.01 } } },
  { name: '20 ms each way + 5 ms jitter (reordering)', link: { both: { delayMs: 20, jitterMs: 5 } } },
  { name: '3 s outage mid-transfer (20 ms each way)', link: { both: { delayMs: 20 } }, outage: true },
  { name: '20 Mbit bottleneck + 50 ms each way', link: { both: { delayMs: 50 }, rateMbit: 20 }, rtt: true }
]

const PAIRS: [Impl, Impl][] = [['ours', 'ours'], ['native', 'native'], ['ours', 'native'], ['native', 'ours']]
const key = (s: Impl, r: Impl) => `${s}->${r}`
const median = (xs: number[]) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return v.length === 0 ? NaN : v[v.length >> 1]
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—')
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—')

export interface RowResult {
  row: string
  mbps: Record<string, number>
  maxGapMs: Record<string, number>
  afterOutageMbps?: Record<string, number>
  rttRatio?: Record<string, number>
  failures: string[]
}

export async function runLinkTable(opts: { mib?: number; runs?: number; filter?: string } = {}): Promise<RowResult[] | null> {
  const why = linkSupport()
  if (why) {
    console.log(`[udx-links] skipped: ${why}`)
    return null
  }
  const bytes = (opts.mib ?? 20) * 1048576
  const runs = opts.runs ?? 3
  const out: RowResult[] = []
  for (const row of ROWS) {
    if (opts.filter && !row.name.includes(opts.filter)) continue
    const res: Record<string, TransferResult[]> = {}
    const failures: string[] = []
    for (let run = 0; run < runs; run++) {
      // a fresh link per run: the same seeded impairments for every pairing of that run
      const link = await createLink({ ...row.link, seed: 1000 + run })
      try {
        for (const [s, r] of PAIRS) {
          let t: TransferResult
          try {
            t = await transfer(link, {
              sender: s, receiver: r, bytes, seed: 7 + run, probeRtt: row.rtt, timeoutMs: 180000,
              outage: row.outage ? { afterBytes: bytes / 2, ms: 3000 } : undefined
            })
          } catch (err) {
            t = { ok: false, error: (err as Error).message, bytes: 0, ms: 0, mbps: NaN, maxGapMs: NaN, senderStats: {} as any, receiverStats: {} as any }
          }
          if (!t.ok) {
            failures.push(`${key(s, r)} run ${run + 1}: ${t.error}`)
            t.mbps = 0
          }
          ;(res[key(s, r)] ??= []).push(t)
        }
      } finally {
        await link.close()
      }
    }
    const pick = (f: (t: TransferResult) => number | undefined) =>
      Object.fromEntries(Object.entries(res).map(([k, ts]) => [k, median(ts.map((t) => f(t) ?? NaN))]))
    const r: RowResult = { row: row.name, mbps: pick((t) => t.mbps), maxGapMs: pick((t) => t.maxGapMs), failures }
    if (row.outage) r.afterOutageMbps = pick((t) => t.afterOutageMbps)
    if (row.rtt) r.rttRatio = pick((t) => (t.loadedRttMs && t.idleRttMs ? t.loadedRttMs / t.idleRttMs : NaN))
    out.push(r)
    const runsOf = (k: string) => res[k].map((t) => f1(t.mbps)).join('/')
    console.log(`[udx-links] ${row.name}: ${PAIRS.map(([s, d]) => `${key(s, d)} ${runsOf(key(s, d))}`).join('  ')}${failures.length ? `  FAILURES: ${failures.join('; ')}` : ''}`)
  }
  printTable(out, opts.mib ?? 20, runs)
  return out
}

export function printTable(rows: RowResult[], mib: number, runs: number): void {
  const nn = key('native', 'native')
  console.log(`\nUDX over emulated links: ${mib} MiB per transfer, sha256 checked, median of ${runs} runs (MB/s = MiB/s)\n`)
  console.log('| link | ours→ours | native→native | ours→native | native→ours | both ours/native | ours as sender | ours as receiver | longest stall ours→ours / native→native (ms) |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const m = r.mbps
    console.log(`| ${r.row} | ${f1(m['ours->ours'])} | ${f1(m[nn])} | ${f1(m['ours->native'])} | ${f1(m['native->ours'])} | ${f2(m['ours->ours'] / m[nn])} | ${f2(m['ours->native'] / m[nn])} | ${f2(m['native->ours'] / m[nn])} | ${Math.round(r.maxGapMs['ours->ours'])} / ${Math.round(r.maxGapMs[nn])} |`)
  }
  for (const r of rows) {
    if (r.afterOutageMbps) {
      const a = r.afterOutageMbps
      console.log(`\n${r.row}: MB/s from the end of the outage to the end of the transfer: ours→ours ${f1(a['ours->ours'])}, native→native ${f1(a[nn])}, ours→native ${f1(a['ours->native'])}, native→ours ${f1(a['native->ours'])} (ours/native ${f2(a['ours->ours'] / a[nn])})`)
    }
    if (r.rttRatio) {
      const q = r.rttRatio
      console.log(`\n${r.row}: RTT under the transfer / idle RTT (UDP pings through the same queue): ours→ours ${f2(q['ours->ours'])}x, native→native ${f2(q[nn])}x, ours→native ${f2(q['ours->native'])}x (target <= 2x)`)
    }
    if (r.failures.length) console.log(`\n${r.row}: FAILED transfers: ${r.failures.join('; ')}`)
  }
}

if (import.meta.main) {
  const [mib, runs, filter] = [Number(process.argv[2] || 20), Number(process.argv[3] || 3), process.argv[4]]
  await runLinkTable({ mib, runs, filter })
}
