// Network interface listing and watching, shaped like udx-native's NetworkInterfaces.
// udx-native (libudx) polls getifaddrs every 5000 ms and emits 'change' when the list differs.

import { EventEmitter } from 'node:events'
import os from 'node:os'

export interface NetworkInterface {
  name: string
  host: string
  family: 4 | 6
  internal: boolean
}

export const INTERFACE_POLL_MS = 5000

/** Current interface addresses as udx-native reports them. */
export function listInterfaces(): NetworkInterface[] {
  const out: NetworkInterface[] = []
  const all = os.networkInterfaces()
  for (const name of Object.keys(all)) {
    for (const a of all[name] ?? []) {
      const fam = a.family === 'IPv6' || (a.family as unknown) === 6 ? 6 : 4
      out.push({ name, host: a.address, family: fam, internal: a.internal })
    }
  }
  return out
}

function sameList(a: NetworkInterface[], b: NetworkInterface[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x.name !== y.name || x.host !== y.host || x.family !== y.family || x.internal !== y.internal) return false
  }
  return true
}

/** Emits 'change'(interfaces) while watching and 'close' once after destroy(). */
export class NetworkInterfaces extends EventEmitter {
  interfaces: NetworkInterface[]
  private timer: ReturnType<typeof setInterval> | null = null
  private destroying: Promise<void> | null = null

  constructor(private readonly list: () => NetworkInterface[] = listInterfaces) {
    super()
    this.interfaces = list()
  }

  watch(): this {
    if (this.timer !== null || this.destroying !== null) return this
    this.timer = setInterval(() => this.poll(), INTERFACE_POLL_MS)
    this.timer.unref?.()
    return this
  }

  unwatch(): this {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    return this
  }

  /** Re-read the list now; emits 'change' when it differs. */
  poll(): void {
    const next = this.list()
    if (sameList(next, this.interfaces)) return
    this.interfaces = next
    this.emit('change', next)
  }

  destroy(): Promise<void> {
    if (this.destroying) return this.destroying
    this.unwatch()
    this.destroying = new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.emit('close')
        resolve()
      })
    })
    return this.destroying
  }

  [Symbol.iterator](): Iterator<NetworkInterface> {
    return this.interfaces[Symbol.iterator]()
  }
}
