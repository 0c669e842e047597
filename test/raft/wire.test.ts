// parseMessage: every well-formed message survives a msgpackr round trip and parses to itself; garbage,
// hand-made and fuzzed, is refused with null (never an exception, never a half-checked message).
import { describe, expect, test } from "bun:test";
import { pack, unpack } from "msgpackr";
import { EntryType, MAX_NODE_ID_CHARS, MAX_WIRE_ENTRIES, MsgType, parseMessage, seededRand } from "../../internal/raft/index.ts";
import type { Message } from "../../internal/raft/index.ts";

const d = (...b: number[]) => new Uint8Array(b);
/** Plain data with byte arrays as number lists (a Buffer and a Uint8Array of the same bytes compare equal). */
const norm = (x: unknown): unknown =>
  x instanceof Uint8Array ? { bytes: [...x] } : Array.isArray(x) ? x.map(norm)
    : x && typeof x === "object" ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, norm(v)])) : x;
const conf = { voters: ["a", "b", "c"], learners: ["d"] };
const valid: Message[] = [
  { type: MsgType.PreVote, from: "a", to: "b", term: 3, index: 10, logTerm: 2 },
  { type: MsgType.PreVoteResp, from: "b", to: "a", term: 3, reject: true },
  { type: MsgType.Vote, from: "a", to: "b", term: 3, index: 10, logTerm: 2, transfer: true },
  { type: MsgType.VoteResp, from: "b", to: "a", term: 3 },
  {
    type: MsgType.App, from: "a", to: "b", term: 3, index: 10, logTerm: 2, commit: 9,
    entries: [{ index: 11, term: 2, type: EntryType.Normal, data: d(1, 2) }, { index: 12, term: 3, type: EntryType.Noop, data: d() }],
  },
  { type: MsgType.App, from: "a", to: "b", term: 3, index: 10, logTerm: 2, commit: 9 },
  { type: MsgType.AppResp, from: "b", to: "a", term: 3, index: 12 },
  { type: MsgType.AppResp, from: "b", to: "a", term: 3, index: 12, reject: true, rejectHint: 5 },
  { type: MsgType.Heartbeat, from: "a", to: "b", term: 3, commit: 9, ctx: 4 },
  { type: MsgType.HeartbeatResp, from: "b", to: "a", term: 3, ctx: 4 },
  { type: MsgType.Snap, from: "a", to: "b", term: 3, snapshot: { index: 50, term: 2, conf, data: d(7, 8, 9) }, offset: 3, total: 6 },
  { type: MsgType.SnapAck, from: "b", to: "a", term: 3, index: 50, offset: 3 },
  { type: MsgType.TimeoutNow, from: "a", to: "b", term: 3 },
  { type: MsgType.ReadIndex, from: "b", to: "a", term: 3, ctx: 2 ** 52 + 5 },
  { type: MsgType.ReadIndexResp, from: "a", to: "b", term: 3, ctx: 2 ** 52 + 5, index: 9 },
];

describe("parseMessage", () => {
  test("every message type parses, also after a msgpackr round trip (Buffers are Uint8Arrays)", () => {
    for (const m of valid) {
      expect(parseMessage(m)).toEqual(m);
      const back = parseMessage(unpack(pack(m)));
      expect(back).not.toBeNull();
      expect(norm(back)).toEqual(norm(m));
    }
  });

  test("unknown fields are left out of the result", () => {
    const m = parseMessage({ ...valid[0]!, extra: "x", __proto__x: 1 });
    expect(m).toEqual(valid[0]!);
  });

  const base = valid[4]!; // an App with entries
  const bad: [string, unknown][] = [
    ["null", null], ["a number", 42], ["a string", "App"], ["an array", [base]], ["a Uint8Array", d(1)],
    ["an unknown type", { ...base, type: 99 }], ["type 0", { ...base, type: 0 }], ["a string type", { ...base, type: "5" }],
    ["a missing from", { ...base, from: undefined }], ["an empty from", { ...base, from: "" }],
    ["a node id too long", { ...base, to: "x".repeat(MAX_NODE_ID_CHARS + 1) }], ["a numeric node id", { ...base, from: 7 }],
    ["a negative term", { ...base, term: -1 }], ["a fractional term", { ...base, term: 1.5 }], ["NaN", { ...base, commit: Number.NaN }],
    ["Infinity", { ...base, index: Number.POSITIVE_INFINITY }], ["an unsafe integer", { ...base, index: 2 ** 53 }],
    ["a bigint", { ...base, term: 3n }], ["a string number", { ...base, commit: "9" }], ["a non-boolean reject", { ...base, reject: 1 }],
    ["entries not an array", { ...base, entries: { 0: base.entries![0] } }],
    ["too many entries", { ...base, entries: Array.from({ length: MAX_WIRE_ENTRIES + 1 }, (_, k) => ({ index: 11 + k, term: 3, type: 0, data: d() })) }],
    ["entry data as a string", { ...base, entries: [{ ...base.entries![0]!, data: "AQI=" }] }],
    ["entry data as a number array", { ...base, entries: [{ ...base.entries![0]!, data: [1, 2] }] }],
    ["an unknown entry type", { ...base, entries: [{ ...base.entries![0]!, type: 7 }] }],
    ["entries with a gap", { ...base, entries: [base.entries![0], { ...base.entries![1]!, index: 13 }] }],
    ["entries not after index", { ...base, index: 9 }],
    ["an entry of a later term than the message", { ...base, term: 2, logTerm: 2, entries: [{ ...base.entries![0]!, term: 3 }] }],
    ["entry terms going down", { ...base, entries: [{ ...base.entries![0]!, term: 3 }, { ...base.entries![1]!, term: 2 }] }],
    ["an App without commit", { ...base, commit: undefined }],
    ["a Vote without logTerm", { ...valid[2]!, logTerm: undefined }],
    ["a reject without a hint", { ...valid[6]!, reject: true }],
    ["a ReadIndexResp without index", { ...valid[14]!, index: undefined }],
    ["a Snap without total", { ...valid[10]!, total: undefined }],
    ["a Snap chunk past its total", { ...valid[10]!, offset: 4 }],
    ["a Snap with voters not a list", { ...valid[10]!, snapshot: { ...valid[10]!.snapshot!, conf: { voters: "a", learners: [] } } }],
    ["a Snap with a member id too long", { ...valid[10]!, snapshot: { ...valid[10]!.snapshot!, conf: { voters: ["y".repeat(200)], learners: [] } } }],
    ["a Snap with data as a string", { ...valid[10]!, snapshot: { ...valid[10]!.snapshot!, data: "abc" } }],
    ["a class instance", Object.assign(new (class X {})(), base)],
    ["an object with a throwing getter", Object.defineProperty({ ...base }, "term", { get: () => { throw new Error("boom"); }, enumerable: true })],
  ];
  for (const [what, x] of bad) {
    test(`refuses ${what}`, () => {
      expect(parseMessage(x)).toBeNull();
    });
  }

  test("fuzz: 20,000 random mutations never throw, and whatever parses parses again to itself", () => {
    const r = seededRand(8);
    const junk = [null, undefined, -1, 0.5, 2 ** 60, "", "x".repeat(300), [], {}, d(1), true, Number.NaN, [1, 2], { index: 1 }];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const m = structuredClone(valid[r.int(0, valid.length)]!) as unknown as Record<string, unknown>;
      const keys = ["type", "from", "to", "term", "index", "logTerm", "commit", "reject", "rejectHint", "ctx", "offset", "total", "entries", "snapshot", "transfer"];
      for (let k = r.int(1, 4); k > 0; k--) m[keys[r.int(0, keys.length)]!] = junk[r.int(0, junk.length)];
      const p = parseMessage(m);
      if (p) {
        accepted++;
        expect(parseMessage(p)).toEqual(p);
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(20_000);
  });
});
