// Spawns test/fixtures/udx-node/*.cjs under Node.js (stock udx-native) and speaks its JSON-lines
// protocol: the child prints JSON objects, one per line; we write JSON lines to its stdin.

import path from 'node:path'
import { FIXTURES } from './helpers.ts'

export interface NodeProc {
  /** Next JSON line printed by the child (in order). */
  next(): Promise<any>
  /** Send one JSON line to the child's stdin. */
  tell(obj: unknown): void
  kill(): void
  exited: Promise<number>
  stderr(): Promise<string>
}

export function spawnNode(script: string, args: (string | number)[]): NodeProc {
  const proc = Bun.spawn(['node', path.join(FIXTURES, script), ...args.map(String)], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe'
  })
  const lines: any[] = []
  const waiters: ((v: any) => void)[] = []
  let ended = false
  ;(async () => {
    const dec = new TextDecoder()
    let buf = ''
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true })
      let i: number
      while ((i = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, i).trim()
        buf = buf.slice(i + 1)
        if (!line) continue
        let obj: any
        try {
          obj = JSON.parse(line)
        } catch {
          obj = { text: line }
        }
        const w = waiters.shift()
        if (w) w(obj)
        else lines.push(obj)
      }
    }
    ended = true
    for (const w of waiters.splice(0)) w({ exited: true })
  })()
  return {
    next: () => {
      if (lines.length > 0) return Promise.resolve(lines.shift())
      if (ended) return Promise.resolve({ exited: true })
      return new Promise((r) => waiters.push(r))
    },
    tell: (obj) => {
      proc.stdin.write(JSON.stringify(obj) + '\n')
      proc.stdin.flush()
    },
    kill: () => proc.kill(),
    exited: proc.exited,
    stderr: () => new Response(proc.stderr as ReadableStream<Uint8Array>).text()
  }
}
