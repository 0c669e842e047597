/**
 * Tasks the state has forgotten (history trimming, a finished scale-down) whose logs the archive still
 * holds: `service logs` of their service shows those lines too. Kept in `<data-dir>/logs/
 * forgotten-tasks.json` so a restarted agent still knows them.
 *
 * Bounds (issue 11, defect 6: the file reached 3.4 MB of full task specs, rewritten on every change):
 * - an entry keeps only what `service logs` needs (IDs, slot, node, times, container ID), not the spec;
 * - at most MAX_ENTRIES, the oldest dropped first, and entries whose archived copy was evicted go;
 * - the file is rewritten at most once per PERSIST_EVERY_MS, not on every change;
 * - a removed service is forgotten entirely: its entries and its tasks' archived copies go with it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterState, Task } from "../api/index.ts";
import type { LogArchive } from "../logs/index.ts";

export const MAX_ENTRIES = 2000;
export const PERSIST_EVERY_MS = 2000;

/** What `service logs` reads of a forgotten task. */
export type ForgottenTask = Pick<Task, "ID" | "ServiceID" | "Slot" | "NodeID" | "CreatedAt" | "UpdatedAt"> & {
  Status: { State: Task["Status"]["State"]; ContainerStatus?: { ContainerID?: string } };
};

function slim(t: Task): ForgottenTask {
  const out: ForgottenTask = {
    ID: t.ID,
    ServiceID: t.ServiceID,
    CreatedAt: t.CreatedAt,
    UpdatedAt: t.UpdatedAt,
    Status: { State: t.Status.State, ContainerStatus: { ContainerID: t.Status.ContainerStatus?.ContainerID } },
  };
  if (t.Slot !== undefined) out.Slot = t.Slot;
  if (t.NodeID !== undefined) out.NodeID = t.NodeID;
  return out;
}

export class ForgottenTasks {
  private tasks = new Map<string, ForgottenTask>();
  private readonly file: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dirty = false;

  constructor(
    dir: string,
    private readonly archive: LogArchive,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, "forgotten-tasks.json");
    if (existsSync(this.file)) {
      try {
        for (const t of JSON.parse(readFileSync(this.file, "utf8")) as Task[]) this.tasks.set(t.ID, slim(t));
      } catch {
        // a torn write: start afresh; the archive still holds the lines
      }
    }
  }

  get size(): number {
    return this.tasks.size;
  }

  /**
   * Records the tasks present in `before` and gone in `after` that ever had a container, and forgets
   * the services gone in `after` (their entries, and their tasks' archived logs).
   */
  observe(before: ClusterState, after: ClusterState): void {
    const removed = new Set(Object.keys(before.services).filter((id) => !after.services[id]));
    const dropArchive: string[] = [];
    for (const t of Object.values(before.tasks)) {
      if (after.tasks[t.ID]) continue;
      if (removed.has(t.ServiceID) || !after.services[t.ServiceID]) {
        dropArchive.push(t.ID);
        continue;
      }
      if (!t.Status.ContainerStatus?.ContainerID) continue;
      this.tasks.delete(t.ID); // re-inserted as the newest
      this.tasks.set(t.ID, slim(t));
      this.dirty = true;
    }
    if (removed.size > 0) {
      for (const [id, t] of this.tasks) {
        if (!removed.has(t.ServiceID)) continue;
        this.tasks.delete(id);
        dropArchive.push(id);
        this.dirty = true;
      }
    }
    for (const id of dropArchive) void this.archive.remove(id).catch(this.onError);
    while (this.tasks.size > MAX_ENTRIES) {
      const oldest = this.tasks.keys().next().value!;
      this.tasks.delete(oldest);
      this.dirty = true;
    }
    if (this.dirty) this.schedule();
  }

  ofService(serviceId: string): Task[] {
    return [...this.tasks.values()].filter((t) => t.ServiceID === serviceId) as unknown as Task[];
  }

  /** Writes now if anything changed (the agent stopping); otherwise at most once per PERSIST_EVERY_MS. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) await this.persist();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.persist().catch(this.onError);
    }, PERSIST_EVERY_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async persist(): Promise<void> {
    this.dirty = false;
    // Entries whose archived copy was evicted are of no use; those just forgotten may still be on their
    // way into the archive (a minute's grace).
    const archived = new Set(await this.archive.list());
    const cutoff = Date.now() - 60_000;
    for (const [id, t] of this.tasks) if (!archived.has(id) && Date.parse(t.UpdatedAt) < cutoff) this.tasks.delete(id);
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.tasks.values()]), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
