/**
 * The leader's control loop: whenever the store changes, and when time alone changes the plan (a
 * restart delay or a down node's grace running out), plan with the orchestrator and the scheduler
 * (`ControlPlane`, incremental: work proportional to the change) and propose the plan as one entry.
 * Runs are serialized and coalesced: many changes while a run is in flight cause exactly one more run.
 * Only the leader runs this, one instance per leadership term.
 */
import type { Logger } from "pino";
import { ControlPlane } from "../orchestrator/index.ts";
import type { Store } from "../store/index.ts";
import { newId } from "./ids.ts";

export interface LeaderLoop {
  /** Resolves when no run is in flight or pending (tests and `--detach` progress use it). */
  idle(): Promise<void>;
  stop(): void;
}

export interface LeaderLoopOptions {
  /** Reconcile at least this often even without a change (a safety net; time-based steps are timed). */
  tickMs?: number;
  /** A down node's replicated tasks are replaced after this long (ReconcileContext.orphanGraceMs). */
  orphanGraceMs?: number;
  now?: () => number;
}

export function startLeaderLoop(store: Store, log: Logger, opts: LeaderLoopOptions = {}): LeaderLoop {
  const now = opts.now ?? Date.now;
  const plane = new ControlPlane();
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let wake: ReturnType<typeof setTimeout> | undefined;

  async function runOnce(): Promise<void> {
    const p = plane.plan(store.state, { now: now(), newId, orphanGraceMs: opts.orphanGraceMs });
    if (p.nextCheckAtMs !== undefined) {
      clearTimeout(wake);
      wake = setTimeout(kick, Math.max(0, p.nextCheckAtMs - now()) + 5);
    }
    if (p.commands.length > 0) {
      const t0 = Date.now();
      log.debug({ index: store.state.index, commands: p.commands.length }, "leader loop: proposing its plan");
      await store.propose(p.commands);
      log.debug({ index: store.state.index, ms: Date.now() - t0 }, "leader loop: plan committed");
    }
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await runOnce();
        } while (again && !stopped);
      } catch (err) {
        log.error({ err }, "leader loop run failed; retrying on the next change or tick");
      } finally {
        running = null;
      }
    })();
  }

  const unsubscribe = store.subscribe((state, cmds) => {
    plane.observe(state, cmds);
    kick();
  });
  const timer = setInterval(kick, opts.tickMs ?? 1000);
  kick();
  return {
    async idle() {
      while (running) await running;
    },
    stop() {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      clearTimeout(wake);
    },
  };
}
