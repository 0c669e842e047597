// Poll a condition with a deadline (tests never sleep to synchronise).
export async function waitUntil<T>(
  what: string,
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  stepMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await Bun.sleep(stepMs);
  }
}

/**
 * waitUntil for callers that decide themselves what a miss means: true once `cond` holds, false when
 * the deadline passes first (the same loop, never a second polling implementation).
 */
export async function reached(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 50,
): Promise<boolean> {
  try {
    await waitUntil("condition", async () => (await cond()) || undefined, timeoutMs, stepMs);
    return true;
  } catch {
    return false;
  }
}
