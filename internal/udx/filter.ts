// Windowed maximum (Kathleen Nichols' algorithm, as Linux lib/minmax.c and libudx win_filter): the
// best of the samples taken within the last `window` units of time, kept as three candidates so the
// estimate ages out smoothly. Time is whatever the caller counts in (BBR: round trips). Pure.

interface Sample {
  t: number
  v: number
}

export class MaxFilter {
  private s: Sample[] = [{ t: 0, v: 0 }, { t: 0, v: 0 }, { t: 0, v: 0 }]

  constructor(private readonly window: number) {}

  get(): number {
    return this.s[0].v
  }

  reset(t: number, v: number): void {
    for (const x of this.s) {
      x.t = t
      x.v = v
    }
  }

  update(t: number, v: number): number {
    const s = this.s
    if (v >= s[0].v || t - s[2].t > this.window) {
      this.reset(t, v)
      return v
    }
    if (v >= s[1].v) {
      s[2] = { t, v }
      s[1] = { t, v }
    } else if (v >= s[2].v) s[2] = { t, v }
    return this.subwin(t, v)
  }

  /** Age the candidates: the best expires after a full window, the others after 1/4 and 1/2. */
  private subwin(t: number, v: number): number {
    const s = this.s
    const dt = t - s[0].t
    if (dt > this.window) {
      s[0] = s[1]
      s[1] = s[2]
      s[2] = { t, v }
      if (t - s[0].t > this.window) {
        s[0] = s[1]
        s[1] = s[2]
        s[2] = { t, v }
      }
    } else if (s[1].t === s[0].t && dt > this.window / 4) {
      s[2] = { t, v }
      s[1] = { t, v }
    } else if (s[2].t === s[1].t && dt > this.window / 2) {
      s[2] = { t, v }
    }
    return s[0].v
  }
}
