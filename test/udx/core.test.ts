// Pure cores of internal/udx: wire format, receiver, sender, and a deterministic simulation of a
// sender/receiver pair over a seeded lossy, reordering, duplicating channel on virtual time.
// Budget: < 2 s.

import { describe, expect, test } from 'bun:test'
import { packet, DEFAULT_SENDER_CONFIG, Receiver, Sender, MAX_AHEAD } from '../../internal/udx/index.ts'
import { rng } from './helpers.ts'

const { encode, decode, FLAG_DATA, FLAG_END, FLAG_SACK, HEADER_SIZE, seqDiff, writeHeader } = packet

describe('wire format', () => {
  test('header round-trips little-endian fields', () => {
    const buf = encode({ type: FLAG_DATA, dataOffset: 0, id: 0xdeadbeef, rwnd: 4194304, seq: 0xfffffffe, ack: 7 }, Buffer.from('hi'))
    expect([...buf.subarray(0, 4)]).toEqual([0xff, 1, 1, 0])
    expect([...buf.subarray(4, 8)]).toEqual([0xef, 0xbe, 0xad, 0xde])
    expect([...buf.subarray(8, 12)]).toEqual([0, 0, 0x40, 0])
    const p = decode(buf)!
    expect(p).toMatchObject({ type: FLAG_DATA, id: 0xdeadbeef, rwnd: 4194304, seq: 0xfffffffe, ack: 7 })
    expect(Buffer.from(p.payload).toString()).toBe('hi')
  })

  test('SACK blocks: exclusive ends, area = data_offset or the whole remainder', () => {
    const a = decode(encode({ type: 0, dataOffset: 0, id: 1, rwnd: 0, seq: 0, ack: 30 }, undefined, [32, 34]))!
    expect(a.type & FLAG_SACK).toBe(FLAG_SACK)
    expect(a.sacks).toEqual([32, 34])
    const raw = new Uint8Array(HEADER_SIZE + 16)
    writeHeader(raw, { type: FLAG_SACK, dataOffset: 0, id: 1, rwnd: 0, seq: 0, ack: 5 })
    raw.set([7, 0, 0, 0, 9, 0, 0, 0, 11, 0, 0, 0, 12, 0, 0, 0], HEADER_SIZE)
    expect(decode(raw)!.sacks).toEqual([7, 9, 11, 12])
  })

  test('libudx MTU probes: the payload starts after data_offset bytes of padding', () => {
    const raw = new Uint8Array(HEADER_SIZE + 32 + 3)
    writeHeader(raw, { type: FLAG_DATA, dataOffset: 32, id: 1, rwnd: 0, seq: 4, ack: 0 })
    raw.set([1, 2, 3], HEADER_SIZE + 32)
    expect([...decode(raw)!.payload]).toEqual([1, 2, 3])
  })

  test('rejects bad magic, version, short packets and oversized data_offset', () => {
    const ok = encode({ type: 0, dataOffset: 0, id: 1, rwnd: 0, seq: 0, ack: 0 })
    expect(decode(ok)).not.toBeNull()
    expect(decode(ok.subarray(0, 19))).toBeNull()
    expect(decode(Uint8Array.from([0x03, ...ok.subarray(1)]))).toBeNull()
    expect(decode(Uint8Array.from([0xff, 2, ...ok.subarray(2)]))).toBeNull()
    const bad = new Uint8Array(ok)
    bad[3] = 1
    expect(decode(bad)).toBeNull()
  })

  test('sequence comparisons wrap modulo 2^32', () => {
    expect(seqDiff(0, 0xffffffff)).toBe(1)
    expect(seqDiff(0xfffffffe, 1)).toBe(-3)
  })
})

const data = (s: string) => Buffer.from(s)

describe('receiver', () => {
  test('buffers out-of-order packets, reports SACK ranges, delivers in order', () => {
    const r = new Receiver(0)
    expect(r.onPacket(1, FLAG_DATA, data('b')).deliver).toEqual([])
    r.onPacket(2, FLAG_DATA, data('c'))
    r.onPacket(4, FLAG_DATA, data('e'))
    expect(r.sackBlocks()).toEqual([1, 3, 4, 5])
    expect(r.onPacket(2, FLAG_DATA, data('c')).deliver).toEqual([]) // duplicate held packet
    const res = r.onPacket(0, FLAG_DATA, data('a'))
    expect(res.deliver.map(String)).toEqual(['a', 'b', 'c'])
    expect(r.ack).toBe(3)
    expect(r.sackBlocks()).toEqual([4, 5])
    expect(r.onPacket(1, FLAG_DATA, data('b')).deliver).toEqual([]) // old duplicate
  })

  test('END may arrive early and carry data; EOF only once everything before it arrived', () => {
    const r = new Receiver(0)
    expect(r.onPacket(1, FLAG_DATA | FLAG_END, data('z')).ended).toBe(false)
    const res = r.onPacket(0, FLAG_DATA, data('y'))
    expect(res.deliver.map(String)).toEqual(['y', 'z'])
    expect(res.ended).toBe(true)
    expect(r.ack).toBe(2)
  })

  test('works across sequence wraparound and caps SACK blocks at 50', () => {
    const r = new Receiver(0xfffffffe)
    expect(r.onPacket(0xfffffffe, FLAG_DATA, data('a')).deliver.length).toBe(1)
    expect(r.onPacket(0, FLAG_DATA, data('c')).deliver.length).toBe(0)
    expect(r.sackBlocks()).toEqual([0, 1])
    expect(r.onPacket(0xffffffff, FLAG_DATA, data('b')).deliver.map(String)).toEqual(['b', 'c'])
    expect(r.ack).toBe(1)
    const many = new Receiver(0)
    for (let i = 0; i < 120; i++) many.onPacket(2 + i * 2, FLAG_DATA, data('x'))
    expect(many.sackBlocks().length).toBe(100)
  })
})

const cfg = { ...DEFAULT_SENDER_CONFIG }

describe('sender', () => {
  test('starts with 10 packets in flight, coalesces writes and marks END on the last packet', () => {
    const s = new Sender(cfg, 0, 100)
    s.write(new Uint8Array(1500))
    s.write(new Uint8Array(0))
    s.end()
    const out = s.pull(0)
    expect(out.length).toBe(10)
    expect(out.every((p) => p.type === FLAG_DATA)).toBe(true)
    expect(s.onAck(10, [], 4194304, 5)).toBe(true)
    const rest = s.pull(5)
    expect(rest.length).toBe(5)
    expect(rest[4].type).toBe(FLAG_DATA | FLAG_END)
    expect(s.onAck(99, [], 4194304, 6)).toBe(false) // beyond snd.nxt
  })

  test('SACKed holes are retransmitted after the reordering window; acks sample RTT', () => {
    const s = new Sender(cfg, 0, 100)
    s.write(new Uint8Array(1000))
    s.pull(0)
    s.onAck(0, [1, 10], 4194304, 10)
    expect(s.rtt.srtt).toBe(10)
    expect(s.pull(10).length).toBe(0) // inside reo window (min_rtt / 4)
    expect(s.deadline()).toBeLessThanOrEqual(10 + 10 / 4 + 1)
    s.onTimer(20)
    const re = s.pull(20)
    expect(re.map((p) => p.seq)).toEqual([0])
    expect(s.retransmits).toBe(1)
    s.onAck(10, [], 4194304, 25)
    expect(s.idle).toBe(true)
  })

  test('rwnd limits packets in flight; a zero window stops data and asks for probes', () => {
    const s = new Sender(cfg, 0, 100)
    s.write(new Uint8Array(2000))
    s.pull(0)
    s.onAck(10, [], 250, 1)
    expect(s.pull(1).length).toBe(2)
    s.onAck(12, [], 50, 2)
    expect(s.pull(2).length).toBe(1) // floor of one packet while rwnd > 0
    s.onAck(13, [], 0, 3)
    expect(s.pull(3).length).toBe(0)
    const probeAt = s.deadline()
    expect(probeAt).toBe(3 + s.rtt.rto)
    expect(s.onTimer(probeAt)).toBe('probe')
    expect(s.deadline()).toBe(probeAt + 2 * s.rtt.rto)
    s.onAck(13, [], 4194304, probeAt + 1)
    expect(s.pull(probeAt + 1).length).toBe(7)
  })

  test('a black-holed packet times out after 6 RTOs', () => {
    const s = new Sender({ ...cfg, minRtoMs: 100, initialRtoMs: 100 }, 0, 100)
    s.write(new Uint8Array(10))
    s.pull(0)
    let t = 0
    let result = 'ok'
    let sends = 1
    while (result === 'ok' && t < 10000) {
      t = s.deadline()
      result = s.onTimer(t)
      sends += s.pull(t).length
    }
    expect(result).toBe('timeout')
    expect(sends).toBeGreaterThanOrEqual(6)
  })
})

describe('forged input', () => {
  test('sender: random acks and SACK blocks terminate and keep the window counters sane', () => {
    const rand = rng(7)
    const u32 = () => Math.floor(rand() * 2 ** 32)
    const s = new Sender(cfg, 0xffffff00, 100)
    s.write(new Uint8Array(500_000))
    let t = 0
    for (let i = 0; i < 5000; i++) {
      t += 1
      s.pull(t)
      const near = (x: number) => (0xffffff00 + x) >>> 0
      const ack = rand() < 0.5 ? u32() : near(Math.floor(rand() * 40))
      const sacks = Array.from({ length: 2 * Math.floor(rand() * 4) }, () => (rand() < 0.5 ? u32() : near(Math.floor(rand() * 60))))
      s.onAck(ack, sacks, u32(), t)
      if (s.deadline() <= t) s.onTimer(t)
      const w = s.win
      expect(w.pipe).toBeGreaterThanOrEqual(0)
      expect(w.pipe).toBeLessThanOrEqual(w.size)
      expect(w.sackedCount).toBeLessThanOrEqual(w.size)
    }
  })

  test('receiver: random sequence numbers never hold more than MAX_AHEAD packets ahead', () => {
    const rand = rng(8)
    const r = new Receiver(0)
    for (let i = 0; i < 20000; i++) r.onPacket(Math.floor(rand() * 2 ** 32), FLAG_DATA, data('x'))
    for (let i = 0; i < 2000; i++) r.onPacket(1 + Math.floor(rand() * 20000), FLAG_DATA, data('x'))
    const blocks = r.sackBlocks()
    for (let i = 0; i < blocks.length; i += 2) {
      expect(seqDiff(blocks[i], r.ack)).toBeGreaterThan(0)
      expect(seqDiff(blocks[i + 1], blocks[i])).toBeGreaterThan(0)
      expect(seqDiff(blocks[i + 1], r.ack)).toBeLessThanOrEqual(MAX_AHEAD)
      if (i > 0) expect(seqDiff(blocks[i], blocks[i - 1])).toBeGreaterThan(0)
    }
  })
})

/** Virtual-time simulation: sender -> lossy channel -> receiver -> lossy channel -> sender. */
function simulate(bytes: number, seed: number, drop: number, dup: number, reorder: number) {
  const rand = rng(seed)
  const s = new Sender({ ...cfg, minRtoMs: 50, initialRtoMs: 50 }, 0xfffffff0, 1000)
  const r = new Receiver(0xfffffff0)
  const src = new Uint8Array(bytes).map((_, i) => (i * 7 + seed) & 0xff)
  s.write(src)
  s.end()
  type Ev = { at: number; kind: 'data' | 'ack'; seq: number; type: number; payload: Uint8Array; ack: number; sacks: number[] }
  let events: Ev[] = []
  const out: Uint8Array[] = []
  let t = 0
  let ended = false
  const net = (e: Ev) => {
    if (rand() < drop) return
    const delay = 5 + (rand() < reorder ? rand() * 20 : 0)
    events.push({ ...e, at: t + delay })
    if (rand() < dup) events.push({ ...e, at: t + delay + 1 })
  }
  const send = () => {
    for (const p of s.pull(t)) net({ at: 0, kind: 'data', seq: p.seq, type: p.type, payload: p.buf.subarray(HEADER_SIZE), ack: 0, sacks: [] })
  }
  send()
  for (let steps = 0; steps < 1_000_000 && !(ended && s.endAcked); steps++) {
    events.sort((a, b) => a.at - b.at)
    const next = events.length > 0 ? events[0].at : Infinity
    if (s.deadline() < next) {
      t = Math.max(t, s.deadline())
      if (s.onTimer(t) === 'timeout') throw new Error('timed out')
    } else {
      const e = events.shift() as Ev
      t = e.at
      if (e.kind === 'data') {
        const res = r.onPacket(e.seq, e.type, e.payload)
        out.push(...res.deliver)
        ended ||= res.ended
        net({ at: 0, kind: 'ack', seq: 0, type: 0, payload: new Uint8Array(0), ack: r.ack, sacks: r.pending > 0 ? r.sackBlocks() : [] })
      } else s.onAck(e.ack, e.sacks, 4194304, t)
    }
    send()
  }
  return { src, got: Buffer.concat(out), ended, endAcked: s.endAcked, retransmits: s.retransmits, t }
}

describe('sender + receiver simulation', () => {
  for (const [seed, drop, dup, reorder] of [[1, 0, 0, 0], [2, 0.05, 0.02, 0.1], [3, 0.2, 0.1, 0.3], [4, 0.01, 0.3, 0.5]]) {
    test(`seed ${seed}: drop ${drop}, dup ${dup}, reorder ${reorder}: exact bytes, END acked`, () => {
      const res = simulate(300_000, seed, drop, dup, reorder)
      expect(res.ended).toBe(true)
      expect(res.endAcked).toBe(true)
      expect(res.got.equals(Buffer.from(res.src))).toBe(true)
      if (drop > 0) expect(res.retransmits).toBeGreaterThan(0)
    })
  }
})
