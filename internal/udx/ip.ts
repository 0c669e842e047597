// IP literal helpers with udx-native's semantics: isIP returns 4, 6 or 0; IPv6 may carry a %zone.

import net from 'node:net'

export function isIPv4(host: string): boolean {
  return net.isIPv4(host)
}

export function isIPv6(host: string): boolean {
  const z = host.indexOf('%')
  return net.isIPv6(z === -1 ? host : host.slice(0, z))
}

export function isIP(host: string): 0 | 4 | 6 {
  if (isIPv4(host)) return 4
  if (isIPv6(host)) return 6
  return 0
}

/** Normalise a received source address: v4-mapped IPv6 is reported as IPv4 (udx-native does). */
export function normalizeHost(addr: string, ipv6: boolean): { host: string; family: 4 | 6 } {
  if (addr.startsWith('::ffff:')) {
    const v4 = addr.slice(7)
    if (net.isIPv4(v4)) return { host: v4, family: 4 }
  }
  return { host: addr, family: ipv6 || addr.includes(':') ? 6 : 4 }
}
