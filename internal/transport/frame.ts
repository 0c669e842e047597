/**
 * Length-prefixed framing: every frame is a 4-byte big-endian payload length, then the payload.
 * Pure: the decoder holds only the bytes of an incomplete frame. Secret-stream already keeps message
 * boundaries, but the in-memory link and any byte stream may split or join chunks, so we never rely
 * on chunk boundaries.
 */
import { TransportError } from "./errors.ts";

export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);

  /** @param maxFrameBytes a larger declared length is MALFORMED (protects memory). */
  constructor(private readonly maxFrameBytes: number) {}

  /** Appends a chunk and returns every complete payload. Throws MALFORMED on an oversized frame. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk);
    const out: Uint8Array[] = [];
    let off = 0;
    while (this.buf.length - off >= FRAME_HEADER_BYTES) {
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + off, FRAME_HEADER_BYTES);
      const len = view.getUint32(0, false);
      if (len > this.maxFrameBytes) {
        throw TransportError.malformed(`frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
      if (this.buf.length - off - FRAME_HEADER_BYTES < len) break;
      const start = off + FRAME_HEADER_BYTES;
      out.push(this.buf.subarray(start, start + len));
      off = start + len;
    }
    this.buf = off === this.buf.length ? new Uint8Array(0) : this.buf.slice(off);
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
