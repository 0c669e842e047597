/**
 * Batches status commands: everything queued in the same tick (and while a report is in flight) goes
 * out in one `report` call, in queue order, one call at a time. A failed call is logged and its commands
 * handed to `onFailed` so the worker re-sends them at the next sync.
 */
import type { Command } from "../api/index.ts";
import type { Logger } from "./logger.ts";

export class Reporter {
  private queue: Command[] = [];
  private inFlight: Promise<void> | undefined;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly report: (cmds: Command[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly onFailed: (cmds: Command[]) => void,
  ) {}

  push(cmd: Command): void {
    this.queue.push(cmd);
    this.schedule();
  }

  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && !this.inFlight && !this.scheduled) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.flush();
    }, 0);
  }

  private flush(): void {
    if (this.inFlight) return;
    if (this.queue.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const batch = this.queue.splice(0);
    const t0 = Date.now();
    this.inFlight = this.report(batch)
      .then(() => this.logger.debug({ commands: batch.length, ms: Date.now() - t0 }, "task statuses reported"))
      .catch((e: unknown) => {
        this.logger.warn({ err: String(e), commands: batch.length }, "reporting task status failed; will re-send at next sync");
        this.onFailed(batch);
      })
      .finally(() => {
        this.inFlight = undefined;
        this.flush();
      });
  }
}
