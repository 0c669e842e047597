// Ids of linearizable read requests. An answer to a forwarded read can arrive after the node restarted
// (the leader answered the previous incarnation), so ids must never repeat across incarnations, or a
// stale answer would complete a newer read with an older read index (issue 8). Each incarnation starts
// at a random point of the 53-bit safe-integer space and counts up from there: two incarnations collide
// only if one issues about 2^53 / (number of incarnations) reads.

const SPAN = 2 ** 53 - 2 ** 32; // leave room to count up without leaving the safe integers

export class ReadIds {
  private last: number;

  /** `random01`: a source of floats in [0, 1) (default: crypto). The simulator passes a seeded one. */
  constructor(random01: () => number = cryptoRandom01) {
    this.last = Math.floor(random01() * SPAN);
  }

  next(): number {
    this.last = this.last >= Number.MAX_SAFE_INTEGER ? 1 : this.last + 1;
    return this.last;
  }
}

function cryptoRandom01(): number {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return (w[0]! * 2 ** 21 + (w[1]! >>> 11)) / 2 ** 53; // 53 random bits
}
