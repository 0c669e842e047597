/**
 * The plain-data check of every frame (issue 10 finding 6). msgpackr decodes its extensions
 * (Date, Set, RegExp, Error, BigInt, typed arrays, structured-clone references) whatever the
 * decoder's options say, so frames are checked on the bytes before they are decoded: one pass
 * over the msgpack structure that skips string and binary contents, allocates nothing, and accepts
 * only plain data —
 *
 *   nil, booleans, numbers that decode to a JS number, strings, binary (→ Uint8Array), arrays,
 *   maps with string or integer keys (→ plain objects), and `undefined` (msgpackr's fixext 0/0),
 *   nested at most `maxDepth` deep, every declared length fitting in the bytes that remain.
 *
 * Rejected: every other extension type, 64-bit integers (msgpackr decodes them to BigInt), map
 * keys that are not strings or integers, truncated or trailing bytes. Pure; the same check runs on
 * what we encode, so a sender learns at once (INVALID_ARGUMENT) that a body is not plain data
 * instead of the receiver closing the connection.
 */

/** Depth of nested arrays/maps accepted; Raft messages and API objects need well under 16. */
export const MAX_DEPTH = 64;

export class NotPlain extends Error {}

/** Throws NotPlain with the reason unless `b` is exactly one plain msgpack value. */
export function checkPlain(b: Uint8Array, maxDepth = MAX_DEPTH): void {
  const end = scan(b, 0, 0, maxDepth);
  if (end !== b.length) throw new NotPlain(`${b.length - end} trailing bytes`);
}

function need(b: Uint8Array, pos: number, n: number): void {
  if (n > b.length - pos) throw new NotPlain("truncated msgpack");
}

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}
function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
}

/** Returns the position after the value starting at `pos`. */
function scan(b: Uint8Array, pos: number, depth: number, maxDepth: number): number {
  need(b, pos, 1);
  const t = b[pos++]!;
  if (t <= 0x7f || t >= 0xe0) return pos; // positive / negative fixint
  if (t <= 0x8f) return container(b, pos, t & 0x0f, true, depth, maxDepth);
  if (t <= 0x9f) return container(b, pos, t & 0x0f, false, depth, maxDepth);
  if (t <= 0xbf) return skip(b, pos, t & 0x1f); // fixstr
  switch (t) {
    case 0xc0: case 0xc2: case 0xc3: return pos; // nil, false, true
    case 0xc4: case 0xd9: need(b, pos, 1); return skip(b, pos + 1, b[pos]!); // bin8, str8
    case 0xc5: case 0xda: need(b, pos, 2); return skip(b, pos + 2, u16(b, pos)); // bin16, str16
    case 0xc6: case 0xdb: need(b, pos, 4); return skip(b, pos + 4, u32(b, pos)); // bin32, str32
    case 0xca: return skip(b, pos, 4); // float32
    case 0xcb: return skip(b, pos, 8); // float64
    case 0xcc: case 0xd0: return skip(b, pos, 1);
    case 0xcd: case 0xd1: return skip(b, pos, 2);
    case 0xce: case 0xd2: return skip(b, pos, 4);
    case 0xd4: // fixext1: only msgpackr's `undefined` (type 0, data 0)
      need(b, pos, 2);
      if (b[pos] === 0 && b[pos + 1] === 0) return pos + 2;
      throw new NotPlain(`msgpack extension type ${(b[pos]! << 24) >> 24} is not plain data`);
    case 0xdc: need(b, pos, 2); return container(b, pos + 2, u16(b, pos), false, depth, maxDepth);
    case 0xdd: need(b, pos, 4); return container(b, pos + 4, u32(b, pos), false, depth, maxDepth);
    case 0xde: need(b, pos, 2); return container(b, pos + 2, u16(b, pos), true, depth, maxDepth);
    case 0xdf: need(b, pos, 4); return container(b, pos + 4, u32(b, pos), true, depth, maxDepth);
    case 0xcf: case 0xd3: throw new NotPlain("64-bit integers (BigInt) are not plain data");
    default: throw new NotPlain(`msgpack type 0x${t.toString(16)} is not plain data`);
  }
}

function skip(b: Uint8Array, pos: number, n: number): number {
  need(b, pos, n);
  return pos + n;
}

function container(b: Uint8Array, pos: number, n: number, isMap: boolean, depth: number, maxDepth: number): number {
  if (depth >= maxDepth) throw new NotPlain(`nested deeper than ${maxDepth}`);
  // Every element takes at least one byte: a declared count the bytes cannot hold is a lie.
  if ((isMap ? 2 * n : n) > b.length - pos) throw new NotPlain("truncated msgpack");
  for (let i = 0; i < n; i++) {
    if (isMap) {
      const k = b[pos]!;
      const intOrStr = k <= 0x7f || k >= 0xe0 || (k >= 0xa0 && k <= 0xbf) || (k >= 0xcc && k <= 0xce) || (k >= 0xd0 && k <= 0xd2) || (k >= 0xd9 && k <= 0xdb);
      if (!intOrStr) throw new NotPlain("map keys must be strings or integers");
      pos = scan(b, pos, depth + 1, maxDepth);
    }
    pos = scan(b, pos, depth + 1, maxDepth);
  }
  return pos;
}
