// Time and scheduling for the stream engine, injected so a simulation can drive it on virtual time
// (test/udx/sim.ts). The real clock is performance.now() (ms, fractional) and Node-style timers.

export interface Clock {
  /** Milliseconds, monotonic, fractional. */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  /** Run `fn` after the current I/O batch (setImmediate): acks and sends are batched up to here. */
  defer(fn: () => void): void
  /** Run `fn` at the end of the current task (queueMicrotask): coalesces writes of one tick. */
  microtask(fn: () => void): void
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  defer: (fn) => {
    setImmediate(fn)
  },
  microtask: (fn) => queueMicrotask(fn)
}
