/**
 * The leader's control loop: whenever the store changes (and once a second, for time-based policy),
 * run the orchestrator and the scheduler on the current state and propose their plan. Runs are
 * serialized and coalesced: many changes while a run is in flight cause exactly one more run.
 * Only the leader runs this (on a one-node cluster, the only manager is the leader).
 */
import type { Logger } from "pino";
import type { Command } from "../api/index.ts";
import { reconcile } from "../orchestrator/index.ts";
import { schedule } from "../scheduler/index.ts";
import { applyCommands, type Store } from "../store/index.ts";
import { newId } from "./ids.ts";

export interface LeaderLoop {
  /** Resolves when no run is in flight or pending (tests and `--detach` progress use it). */
  idle(): Promise<void>;
  stop(): void;
}

export interface LeaderLoopOptions {
  tickMs?: number;
  /** A down node's replicated tasks are replaced after this long (ReconcileContext.orphanGraceMs). */
  orphanGraceMs?: number;
  now?: () => number;
}

export function startLeaderLoop(store: Store, log: Logger, opts: LeaderLoopOptions = {}): LeaderLoop {
  const now = opts.now ?? Date.now;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function runOnce(): Promise<void> {
    // Reconcile to a fixed point: the scheduler acts on tasks the orchestrator just created.
    for (let round = 0; round < 10 && !stopped; round++) {
      const ctx = { now: now(), newId, orphanGraceMs: opts.orphanGraceMs ?? 2000 };
      const plan: Command[] = reconcile(store.state, ctx);
      const placed = schedule(applyPreview(store, plan), { now: ctx.now });
      const all = [...plan, ...placed];
      if (all.length === 0) return;
      await store.propose(all);
    }
  }

  // The scheduler must see the orchestrator's new tasks: fold the plan over the state first (pure).
  function applyPreview(s: Store, plan: Command[]) {
    return applyCommands(s.state, plan);
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

  const unsubscribe = store.subscribe(() => kick());
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
    },
  };
}
