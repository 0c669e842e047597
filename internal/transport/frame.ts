/**
 * Length-prefixed framing: every frame is a 4-byte big-endian payload length, then the payload.
 * Pure. Secret-stream already keeps message boundaries, but the in-memory link and any byte stream
 * may split or join chunks, so we never rely on chunk boundaries.
 *
 * Memory: the decoder holds the chunks of one incomplete frame as a list and copies each byte at
 * most once (when a frame spans chunks), so a large frame arriving in many small chunks costs
 * linear time; a declared length over `maxFrameBytes` is refused as soon as its header arrives,
 * before any of its payload is held. With an `inspect` hook, a frame larger than INSPECT_BYTES is
 * shown to it once its first INSPECT_BYTES arrived; if the hook refuses it, its payload is dropped
 * as it arrives instead of being held (a call refused by its channel's size limit or access costs
 * no buffering).
 */
import { TransportError } from "./errors.ts";

export const FRAME_HEADER_BYTES = 4;
/** How much of a large frame the inspect hook sees: enough for any call's envelope. */
export const INSPECT_BYTES = 512;

/** Sees the declared length and the first INSPECT_BYTES of a larger frame; true drops the frame. */
export type FrameInspector = (len: number, head: Uint8Array) => boolean;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private held = 0;
  /** Payload length of the frame being assembled (its header consumed), or -1. */
  private need = -1;
  private inspected = false;
  /** Bytes of a refused frame still to drop. */
  private discard = 0;

  /** @param maxFrameBytes a larger declared length is MALFORMED; the session raises it once a peer
   * is admitted. */
  constructor(
    public maxFrameBytes: number,
    public inspect?: FrameInspector,
  ) {}

  /** Appends a chunk and returns every complete payload. Throws MALFORMED on an oversized frame. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.held += chunk.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.discard > 0) {
        const n = Math.min(this.discard, this.held);
        this.take(n, true);
        this.discard -= n;
        this.dropped += n;
        if (this.discard > 0) break;
        continue;
      }
      if (this.need < 0) {
        if (this.held < FRAME_HEADER_BYTES) break;
        const h = this.take(FRAME_HEADER_BYTES);
        const len = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
        if (len > this.maxFrameBytes) {
          throw TransportError.malformed(`frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
        }
        this.need = len;
        this.inspected = false;
      }
      if (this.inspect && !this.inspected && this.need > INSPECT_BYTES) {
        if (this.held < INSPECT_BYTES) break;
        this.inspected = true;
        if (this.inspect(this.need, this.peek(INSPECT_BYTES))) {
          this.discard = this.need;
          this.need = -1;
          continue;
        }
      }
      if (this.held < this.need) break;
      out.push(this.take(this.need));
      this.need = -1;
    }
    return out;
  }

  /** A copy of the next n held bytes (n <= held), left in place. */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (off === n) break;
    }
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.held + (this.need > 0 ? FRAME_HEADER_BYTES : 0);
  }

  /** Bytes of refused frames dropped so far (diagnostics). */
  dropped = 0;

  /** Removes and returns the next n held bytes (n <= held): a view when they sit in one chunk.
   * With `drop`, nothing is copied or returned. */
  private take(n: number, drop = false): Uint8Array {
    this.held -= n;
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (drop) {
      for (let left = n; left > 0; ) {
        const c = this.chunks[0]!;
        if (c.length <= left) {
          left -= c.length;
          this.chunks.shift();
        } else {
          this.chunks[0] = c.subarray(left);
          left = 0;
        }
      }
      return new Uint8Array(0);
    }
    if (first!.length >= n) {
      if (first!.length === n) this.chunks.shift();
      else this.chunks[0] = first!.subarray(n);
      return first!.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      out.set(k === c.length ? c : c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
