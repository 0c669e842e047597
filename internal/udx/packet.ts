// UDX wire format (pure): encode and decode the 20-byte header, SACK blocks and payload.
// All multi-byte integers are little-endian. See /work/shared/UDX-NOTES.md section 1.

export const HEADER_SIZE = 20
export const MAGIC = 0xff
export const VERSION = 1

export const FLAG_DATA = 0x01
export const FLAG_END = 0x02
export const FLAG_SACK = 0x04
export const FLAG_MESSAGE = 0x08
export const FLAG_DESTROY = 0x10
export const FLAG_HEARTBEAT = 0x20

/** Largest number of SACK blocks a libudx packet carries (UDX_MAX_SACKS); libudx reads every block
 *  a packet has, whatever their number. */
export const MAX_SACKS = 50
/** Default advertised receive window: udx-native always advertises 4 MiB. */
export const DEFAULT_RWND = 4194304
/** MTU counting IP + UDP headers; payload = mtu - 48 (IPv4) or mtu - 68 (IPv6). */
export const MTU_BASE = 1200
export const MTU_MAX = 1500
/** SACK blocks our ACKs carry at most: all that fit a 1200-byte IPv4 packet. With more holes than
 *  libudx's 50 (5% loss over a 100 ms, 10 MB/s path has ~70 per round trip) the holes above the
 *  50th were reported only after the ones below were repaired, a round trip later each. */
export const MAX_ACK_SACKS = Math.floor((MTU_BASE - 48) / 8)
/** Largest UDP payload a stream packet may have: MTU_MAX less IPv4 + UDP headers. No UDX sender
 * (ours or libudx, whose MTU probing stops at MTU_MAX) makes a bigger one, so a bigger datagram for a
 * stream is forged or broken and is dropped before it costs memory (issue 10 finding 1). */
export const MAX_STREAM_DATAGRAM = MTU_MAX - 28

export interface Header {
  type: number
  dataOffset: number
  id: number
  rwnd: number
  seq: number
  ack: number
}

export interface Packet extends Header {
  /** SACK ranges [start, end) (end exclusive); empty when the SACK bit is absent. */
  sacks: number[]
  payload: Uint8Array
}

/** Maximum stream payload for a given MTU and remote family. */
export function maxPayload(mtu: number, family: number): number {
  return mtu - (family === 6 ? 68 : 48)
}

/** True when `buf` starts like a UDX stream packet (used to demultiplex socket traffic). */
export function isUDXPacket(buf: Uint8Array): boolean {
  return buf.length >= HEADER_SIZE && buf[0] === MAGIC && buf[1] === VERSION
}

export function readU32(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16)) + buf[off + 3] * 0x1000000
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff
  buf[off + 1] = (v >>> 8) & 0xff
  buf[off + 2] = (v >>> 16) & 0xff
  buf[off + 3] = (v >>> 24) & 0xff
}

export function writeHeader(buf: Uint8Array, h: Header): void {
  buf[0] = MAGIC
  buf[1] = VERSION
  buf[2] = h.type
  buf[3] = h.dataOffset
  writeU32(buf, 4, h.id >>> 0)
  writeU32(buf, 8, h.rwnd >>> 0)
  writeU32(buf, 12, h.seq >>> 0)
  writeU32(buf, 16, h.ack >>> 0)
}

/** Build a full datagram: header, optional SACK area, then payload. */
export function encode(h: Header, payload?: Uint8Array, sacks?: number[]): Uint8Array {
  const sackBytes = sacks && sacks.length > 0 ? sacks.length * 4 : 0
  const plen = payload ? payload.length : 0
  const buf = new Uint8Array(HEADER_SIZE + sackBytes + plen)
  const type = sackBytes > 0 ? h.type | FLAG_SACK : h.type
  // libudx fills data_offset with the SACK area length when it also carries payload;
  // a pure SACK (no payload) uses the whole remainder, so 0 would be fine but this is explicit.
  writeHeader(buf, { ...h, type, dataOffset: sackBytes > 255 ? 0 : sackBytes })
  if (sacks) for (let i = 0; i < sacks.length; i++) writeU32(buf, HEADER_SIZE + i * 4, sacks[i] >>> 0)
  if (payload && plen > 0) buf.set(payload, HEADER_SIZE + sackBytes)
  return buf
}

/** Decode a datagram; null when it is not a valid UDX packet (libudx then ignores or re-routes it). */
export function decode(buf: Uint8Array): Packet | null {
  if (!isUDXPacket(buf)) return null
  const type = buf[2]
  const dataOffset = buf[3]
  const rest = buf.length - HEADER_SIZE
  if (dataOffset > rest) return null
  let sacks: number[] = EMPTY
  if (type & FLAG_SACK) {
    const area = dataOffset > 0 && dataOffset < rest ? dataOffset : rest
    const n = area >>> 3
    sacks = new Array(n * 2)
    for (let i = 0; i < n * 2; i++) sacks[i] = readU32(buf, HEADER_SIZE + i * 4)
  }
  return {
    type,
    dataOffset,
    id: readU32(buf, 4),
    rwnd: readU32(buf, 8),
    seq: readU32(buf, 12),
    ack: readU32(buf, 16),
    sacks,
    payload: buf.subarray(HEADER_SIZE + dataOffset)
  }
}

const EMPTY: number[] = []

/** Signed 32-bit difference a - b, for sequence comparisons modulo 2^32. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0
}

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0
}
