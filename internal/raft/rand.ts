// A small seeded pseudo-random source (mulberry32). The core and the simulator take one of these instead
// of Math.random so every run is reproducible from its seed.

export interface Rand {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number;
}

export function seededRand(seed: number): Rand {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo)) };
}
