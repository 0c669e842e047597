import { expect, test } from "bun:test";
import { FrameDecoder, LineAssembler, linesFromBuffer, splitTimestamp } from "../../internal/logs/index.ts";

function frame(stream: 1 | 2, text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + body.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, body.length, false);
  out.set(body, 8);
  return out;
}
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};

const T1 = "2026-11-28T12:00:00.000000001Z";
const T2 = "2026-11-28T12:00:01.5Z";

test("a whole multiplexed buffer becomes stamped lines per stream", () => {
  const buf = concat(frame(1, `${T1} hello\n${T2} world\n`), frame(2, `${T2} oops\n`));
  expect(linesFromBuffer(buf)).toEqual([
    { stream: "stdout", ts: T1, line: "hello" },
    { stream: "stdout", ts: T2, line: "world" },
    { stream: "stderr", ts: T2, line: "oops" },
  ]);
});

test("frames split at every byte boundary decode the same; lines spanning frames reassemble", () => {
  const buf = concat(frame(1, `${T1} par`), frame(2, `${T2} e\n`), frame(1, "tial\n"), frame(1, `${T2} ünïcode\n${T2} no-newline`));
  const want = linesFromBuffer(buf);
  expect(want.map((l) => l.line)).toEqual(["e", "partial", "ünïcode", "no-newline"]);
  for (let cut = 1; cut < buf.length; cut++) {
    const dec = new FrameDecoder();
    const asm = new LineAssembler();
    const got = [...dec.push(buf.slice(0, cut)), ...dec.push(buf.slice(cut))].flatMap((f) => asm.push(f));
    got.push(...asm.flush());
    expect(got).toEqual(want);
  }
});

test("splitTimestamp", () => {
  expect(splitTimestamp(`${T1} a b `)).toEqual({ ts: T1, line: "a b " });
  expect(splitTimestamp("2026-11-28T12:00:00+02:00 x")).toEqual({ ts: "2026-11-28T12:00:00+02:00", line: "x" });
  expect(splitTimestamp("no stamp")).toEqual({ ts: "", line: "no stamp" });
  expect(splitTimestamp(`${T1} `)).toEqual({ ts: T1, line: "" });
});
