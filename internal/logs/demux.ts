/**
 * Docker's multiplexed log stream (containers without a TTY): frames of an 8-byte header — stream
 * (1 stdout, 2 stderr), three zero bytes, big-endian payload length — then the payload. With
 * `timestamps=1` every line starts with an RFC3339Nano timestamp and a space.
 *
 * `FrameDecoder` accepts arbitrary chunk boundaries (follow mode); `LineAssembler` turns per-stream byte
 * payloads into complete lines (a line may span frames). Pure, no I/O.
 */
export type StreamName = "stdout" | "stderr";

export interface Frame {
  stream: StreamName;
  data: Uint8Array;
}

export class FrameDecoder {
  private buf = new Uint8Array(0);

  push(chunk: Uint8Array): Frame[] {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf, 0);
    merged.set(chunk, this.buf.length);
    const out: Frame[] = [];
    let off = 0;
    while (merged.length - off >= 8) {
      const kind = merged[off]!;
      const len = ((merged[off + 4]! << 24) >>> 0) + (merged[off + 5]! << 16) + (merged[off + 6]! << 8) + merged[off + 7]!;
      if (merged.length - off - 8 < len) break;
      const data = merged.slice(off + 8, off + 8 + len);
      // stdin (0) never appears in logs; treat unknown kinds as stdout rather than dropping output.
      out.push({ stream: kind === 2 ? "stderr" : "stdout", data });
      off += 8 + len;
    }
    this.buf = merged.slice(off);
    return out;
  }
}

export function demuxBuffer(buf: Uint8Array): Frame[] {
  return new FrameDecoder().push(buf);
}

export interface StampedLine {
  stream: StreamName;
  ts: string;
  line: string;
}

const TS_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/;

/** Splits `<RFC3339Nano> <text>` (Docker's timestamps=1 format); ts is "" when absent. */
export function splitTimestamp(raw: string): { ts: string; line: string } {
  const m = TS_RE.exec(raw);
  if (!m) return { ts: "", line: raw };
  return { ts: m[1]!, line: raw.slice(m[0].length) };
}

/** Reassembles lines per stream from frame payloads. `flush()` returns a trailing partial line. */
export class LineAssembler {
  private partial: Record<StreamName, string> = { stdout: "", stderr: "" };
  private decoder: Record<StreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  push(frame: Frame): StampedLine[] {
    const text = this.partial[frame.stream] + this.decoder[frame.stream].decode(frame.data, { stream: true });
    const pieces = text.split("\n");
    this.partial[frame.stream] = pieces.pop() ?? "";
    return pieces.map((p) => ({ stream: frame.stream, ...splitTimestamp(p.endsWith("\r") ? p.slice(0, -1) : p) }));
  }

  flush(): StampedLine[] {
    const out: StampedLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream] !== "") out.push({ stream, ...splitTimestamp(this.partial[stream]) });
      this.partial[stream] = "";
    }
    return out;
  }
}

/** A whole non-follow log response (one Buffer of frames) to lines. */
export function linesFromBuffer(buf: Uint8Array): StampedLine[] {
  const asm = new LineAssembler();
  const out: StampedLine[] = [];
  for (const f of demuxBuffer(buf)) out.push(...asm.push(f));
  out.push(...asm.flush());
  return out;
}
