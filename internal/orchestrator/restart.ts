/**
 * The restart policy, as Docker applies it to a slot whose current task has ended while it should be
 * running. A terminated task is never restarted; "restart" means a replacement task in the same slot.
 */
import type { RestartPolicy, Task } from "../api/index.ts";
import { msOf } from "./context.ts";

/**
 * Whether the slot gets a replacement for its ended current task `cur`.
 * - Condition `none`: never. `on-failure`: unless the task completed (exit 0). `any`: always.
 * - MaxAttempts > 0 limits replacements: without a Window, `cur.Attempt < MaxAttempts`; with a
 *   Window, the slot's replacements (Attempt > 0) created within the Window before `now` must be fewer
 *   than MaxAttempts. Only the slot's kept history (5 tasks) is counted.
 */
export function shouldRestart(policy: RestartPolicy | undefined, cur: Task, slotTasks: readonly Task[], now: number): boolean {
  return restartDecision(policy, cur, slotTasks, now).restart;
}

/**
 * `shouldRestart`, and when the answer is no only because of the Window, the time (ms) at which the
 * oldest counted replacement leaves the Window and the answer may become yes: the only way the
 * restart policy depends on the clock.
 */
export function restartDecision(
  policy: RestartPolicy | undefined,
  cur: Task,
  slotTasks: readonly Task[],
  now: number,
): { restart: boolean; retryAtMs?: number } {
  const cond = policy?.Condition ?? "any";
  if (cond === "none") return { restart: false };
  if (cond === "on-failure" && cur.Status.State === "complete") return { restart: false };
  const max = policy?.MaxAttempts ?? 0;
  if (max <= 0) return { restart: true };
  const windowMs = (policy?.Window ?? 0) / 1e6;
  if (windowMs <= 0) return { restart: cur.Attempt < max };
  const since = now - windowMs;
  let recent = 0;
  let oldest = Infinity;
  for (const t of slotTasks) {
    if (t.Attempt <= 0) continue;
    const created = msOf(t.CreatedAt, now);
    if (created < since) continue;
    recent += 1;
    oldest = Math.min(oldest, created);
  }
  if (recent < max) return { restart: true };
  // Counted while created >= now - window: it leaves the window once now > created + window.
  return { restart: false, retryAtMs: Math.floor(oldest + windowMs) + 1 };
}

/** Earliest start of the replacement: when the task ended plus the restart delay (Docker default 5 s). */
export function notBeforeMs(policy: RestartPolicy | undefined, cur: Task, now: number): number {
  const delayMs = (policy?.Delay ?? 5e9) / 1e6;
  return msOf(cur.Status.Timestamp, now) + delayMs;
}
