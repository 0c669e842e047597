// Socket buffer sizes for Bun UDP sockets. Bun.udpSocket exposes the fd but no SO_RCVBUF setter,
// so this calls setsockopt(2) from libc through bun:ffi. Best effort: when FFI or libc is not
// available the calls return false and the kernel defaults stay (only throughput suffers).

import { dlopen, FFIType, ptr } from 'bun:ffi'

const SOL_SOCKET = 1
const SO_SNDBUF = 7
const SO_RCVBUF = 8

type Lib = {
  setsockopt: (fd: number, level: number, name: number, val: unknown, len: number) => number
  getsockopt: (fd: number, level: number, name: number, val: unknown, len: unknown) => number
}

let lib: Lib | null | undefined

function load(): Lib | null {
  if (lib !== undefined) return lib
  try {
    const h = dlopen(process.platform === 'darwin' ? 'libc.dylib' : 'libc.so.6', {
      setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 }
    })
    lib = h.symbols as unknown as Lib
  } catch {
    lib = null
  }
  return lib
}

function set(fd: number, name: number, size: number): boolean {
  const l = load()
  if (l === null || !(fd >= 0)) return false
  const v = new Int32Array([size])
  return l.setsockopt(fd, SOL_SOCKET, name, ptr(v), 4) === 0
}

function get(fd: number, name: number): number {
  const l = load()
  if (l === null || !(fd >= 0)) return -1
  const v = new Int32Array(1)
  const len = new Uint32Array([4])
  return l.getsockopt(fd, SOL_SOCKET, name, ptr(v), ptr(len)) === 0 ? v[0] : -1
}

export const setRecvBufferSize = (fd: number, size: number) => set(fd, SO_RCVBUF, size)
export const setSendBufferSize = (fd: number, size: number) => set(fd, SO_SNDBUF, size)
export const getRecvBufferSize = (fd: number) => get(fd, SO_RCVBUF)
export const getSendBufferSize = (fd: number) => get(fd, SO_SNDBUF)

const IPPROTO_IP = 0
const IP_MTU_DISCOVER = 10
const IPPROTO_IPV6 = 41
const IPV6_MTU_DISCOVER = 23
/** Set DF but ignore the kernel's path-MTU cache (IP_PMTUDISC_PROBE / IPV6_PMTUDISC_PROBE). */
const PMTUDISC_PROBE = 3

function setInt(fd: number, level: number, name: number, value: number): boolean {
  const l = load()
  if (l === null || !(fd >= 0)) return false
  return l.setsockopt(fd, level, name, ptr(new Int32Array([value])), 4) === 0
}

/** libudx's udx__udp_set_dontfrag: MTU probes must not be fragmented on the way. An IPv6 socket
 *  also gets the IPv4 option, for the v4-mapped peers of a dual-stack socket. Best effort. */
export function setDontFragment(fd: number, family: 4 | 6): boolean {
  const v4 = setInt(fd, IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC_PROBE)
  if (family === 4) return v4
  return setInt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, PMTUDISC_PROBE)
}

/** udx-native's bind-time tuning: RCVBUF 1 MiB, stepping down by halves if refused. */
export function tuneBuffers(fd: number): void {
  for (let size = 1 << 20; size >= 1 << 16; size >>= 1) if (set(fd, SO_RCVBUF, size)) break
  set(fd, SO_SNDBUF, 212992)
}
