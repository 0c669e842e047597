/**
 * The wire messages of the cluster transport and their msgpackr codec. Pure. Every frame is a
 * msgpack array whose first element is the message kind; `decodeMessage` checks the shape of every
 * field and throws MALFORMED otherwise, so the session never sees a badly typed message.
 *
 * Order on a connection: each side sends HELLO first; each side answers the other's HELLO with
 * WELCOME or REJECT. Everything else is only valid after both WELCOMEs.
 */
import { Packr } from "msgpackr";
import { TransportError } from "./errors.ts";
import { checkPlain } from "./plain.ts";

export const Kind = {
  Hello: 0,
  Welcome: 1,
  Reject: 2,
  Send: 3,
  Request: 4,
  Response: 5,
  StreamOpen: 6,
  StreamData: 7,
  StreamEnd: 8,
  StreamError: 9,
  StreamCancel: 10,
  StreamCredit: 11,
} as const;

/** Proof of admission carried by HELLO: a certificate (with the cluster key beside it) or a MAC. */
export interface HelloProof {
  v: 2;
  /** HMAC-SHA256 with the join secret over (cluster id, sender key, receiver key). */
  mac?: Uint8Array;
  /** Encoded node certificate and the cluster key's signature over it. */
  cert?: Uint8Array;
  sig?: Uint8Array;
  /** The cluster public key (32 bytes) that signed `cert`: how a joiner learns it. */
  ca?: Uint8Array;
}

export type Message =
  | { k: typeof Kind.Hello; proof: HelloProof }
  | { k: typeof Kind.Welcome }
  | { k: typeof Kind.Reject; code: string; message: string }
  | { k: typeof Kind.Send; channel: string; body: unknown }
  | { k: typeof Kind.Request; id: number; channel: string; body: unknown }
  | { k: typeof Kind.Response; id: number; ok: true; body: unknown }
  | { k: typeof Kind.Response; id: number; ok: false; code: string; message: string; remoteCode?: string }
  | { k: typeof Kind.StreamOpen; sid: number; channel: string; body: unknown; credit: number }
  | { k: typeof Kind.StreamData; sid: number; body: unknown }
  | { k: typeof Kind.StreamEnd; sid: number }
  | { k: typeof Kind.StreamError; sid: number; code: string; message: string; remoteCode?: string }
  | { k: typeof Kind.StreamCancel; sid: number }
  | { k: typeof Kind.StreamCredit; sid: number; n: number };

// Records off: no shared structure state between encoder and decoder instances. Extensions are
// refused on the bytes (plain.ts) in both directions.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false });

/** Encodes a message. Throws INVALID_ARGUMENT when a body is not plain data (plain.ts) or cannot be
 * encoded at all (a cycle). */
export function encodeMessage(m: Message): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = pack(m);
    checkPlain(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    const why = e instanceof RangeError && /call stack/i.test(msg) ? "it is cyclic or nested too deep" : msg;
    throw TransportError.invalid(`the message cannot be sent: ${why}; send plain data (objects, arrays, strings, numbers, booleans, null, Uint8Array)`);
  }
  return bytes;
}

function pack(m: Message): Uint8Array {
  switch (m.k) {
    case Kind.Hello:
      return packr.pack([m.k, m.proof]);
    case Kind.Welcome:
      return packr.pack([m.k]);
    case Kind.Reject:
      return packr.pack([m.k, m.code, m.message]);
    case Kind.Send:
      return packr.pack([m.k, m.channel, m.body]);
    case Kind.Request:
      return packr.pack([m.k, m.id, m.channel, m.body]);
    case Kind.Response:
      return m.ok
        ? packr.pack([m.k, m.id, true, m.body])
        : packr.pack([m.k, m.id, false, m.code, m.message, m.remoteCode ?? null]);
    case Kind.StreamOpen:
      return packr.pack([m.k, m.sid, m.channel, m.body, m.credit]);
    case Kind.StreamData:
      return packr.pack([m.k, m.sid, m.body]);
    case Kind.StreamEnd:
    case Kind.StreamCancel:
      return packr.pack([m.k, m.sid]);
    case Kind.StreamError:
      return packr.pack([m.k, m.sid, m.code, m.message, m.remoteCode ?? null]);
    case Kind.StreamCredit:
      return packr.pack([m.k, m.sid, m.n]);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The envelope of a call (SEND, REQUEST, STREAM_OPEN) read straight from the bytes, without
 * decoding the body: the session checks the channel's access and size limit first, so a refused
 * message costs no decoding. `p` may be only the first bytes of the frame. Undefined for anything
 * else, or an envelope encoded unusually (then the full decode decides).
 */
export function peekCall(p: Uint8Array): { k: typeof Kind.Send | typeof Kind.Request | typeof Kind.StreamOpen; id: number; channel: string } | undefined {
  const arity: Record<number, number> = { [Kind.Send]: 3, [Kind.Request]: 4, [Kind.StreamOpen]: 5 };
  const k = p[1];
  if (k === undefined || p[0] !== 0x90 + (arity[k] ?? -1)) return undefined;
  let pos = 2;
  let id = 0;
  if (k !== Kind.Send) {
    const t = p[pos++]!;
    if (t < 0x80) id = t;
    else if (t === 0xcc) (id = p[pos]!), (pos += 1);
    else if (t === 0xcd) (id = (p[pos]! << 8) | p[pos + 1]!), (pos += 2);
    else if (t === 0xce) (id = ((p[pos]! << 24) >>> 0) + (p[pos + 1]! << 16) + (p[pos + 2]! << 8) + p[pos + 3]!), (pos += 4);
    else return undefined;
  }
  const t = p[pos++];
  let len: number;
  if (t === undefined) return undefined;
  if (t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
  else if (t === 0xd9) len = p[pos++]!;
  else if (t === 0xda) (len = (p[pos]! << 8) | p[pos + 1]!), (pos += 2);
  else return undefined;
  if (len > 4096 || pos + len > p.length) return undefined;
  try {
    return { k: k as typeof Kind.Send, id, channel: utf8.decode(p.subarray(pos, pos + len)) };
  } catch {
    return undefined;
  }
}

/** Decodes and validates one frame payload. Throws TransportError MALFORMED with the reason. */
export function decodeMessage(payload: Uint8Array): Message {
  let a: unknown;
  try {
    checkPlain(payload);
    a = packr.unpack(payload);
  } catch (e) {
    throw TransportError.malformed(`not plain msgpack: ${(e as Error).message}`);
  }
  if (!Array.isArray(a) || a.length === 0) throw TransportError.malformed("frame is not a non-empty array");
  const k = a[0];
  const need = (n: number) => {
    if (a.length !== n) throw TransportError.malformed(`kind ${k} needs ${n} elements, got ${a.length}`);
  };
  switch (k) {
    case Kind.Hello:
      need(2);
      return { k, proof: proof(a[1]) };
    case Kind.Welcome:
      need(1);
      return { k };
    case Kind.Reject:
      need(3);
      return { k, code: str(a[1], "code"), message: str(a[2], "message") };
    case Kind.Send:
      need(3);
      return { k, channel: str(a[1], "channel"), body: a[2] };
    case Kind.Request:
      need(4);
      return { k, id: uint(a[1], "id"), channel: str(a[2], "channel"), body: a[3] };
    case Kind.Response:
      if (a[2] === true) {
        need(4);
        return { k, id: uint(a[1], "id"), ok: true, body: a[3] };
      }
      need(6);
      if (a[2] !== false) throw TransportError.malformed("response ok flag is not a boolean");
      return { k, id: uint(a[1], "id"), ok: false, code: str(a[3], "code"), message: str(a[4], "message"), remoteCode: optStr(a[5]) };
    case Kind.StreamOpen:
      need(5);
      return { k, sid: uint(a[1], "sid"), channel: str(a[2], "channel"), body: a[3], credit: uint(a[4], "credit") };
    case Kind.StreamData:
      need(3);
      return { k, sid: uint(a[1], "sid"), body: a[2] };
    case Kind.StreamEnd:
    case Kind.StreamCancel:
      need(2);
      return { k, sid: uint(a[1], "sid") };
    case Kind.StreamError:
      need(5);
      return { k, sid: uint(a[1], "sid"), code: str(a[2], "code"), message: str(a[3], "message"), remoteCode: optStr(a[4]) };
    case Kind.StreamCredit:
      need(3);
      return { k, sid: uint(a[1], "sid"), n: uint(a[2], "n") };
    default:
      throw TransportError.malformed(`unknown message kind ${String(k)}`);
  }
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string" || v.length > 4096) throw TransportError.malformed(`${field} is not a short string`);
  return v;
}
function optStr(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== "string" || v.length > 256) throw TransportError.malformed("remoteCode is not a short string");
  return v;
}
function uint(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw TransportError.malformed(`${field} is not a non-negative integer`);
  }
  return v;
}
function bytes(v: unknown, field: string): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof Uint8Array) || v.length > 8192) throw TransportError.malformed(`${field} is not bytes`);
  return v;
}
function proof(v: unknown): HelloProof {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw TransportError.malformed("hello proof is not a map");
  const o = v as Record<string, unknown>;
  if (o.v !== 2) throw TransportError.malformed(`hello proof version ${String(o.v).slice(0, 16)} is not supported`);
  const p: HelloProof = { v: 2, mac: bytes(o.mac, "mac"), cert: bytes(o.cert, "cert"), sig: bytes(o.sig, "sig"), ca: bytes(o.ca, "ca") };
  if (!p.mac && !(p.cert && p.sig)) throw TransportError.malformed("hello carries neither a mac nor a certificate");
  return p;
}
