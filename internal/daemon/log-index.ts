/**
 * Remembers the tasks the store forgets (history trimming, scale-down), so that `service logs` can
 * still name and show their archived lines. Persisted next to the archive as one JSON file; entries
 * whose archived copy was evicted are dropped when the file is rewritten.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterState, Task } from "../api/index.ts";

export class ForgottenTasks {
  private tasks = new Map<string, Task>();
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, "forgotten-tasks.json");
    if (existsSync(this.file)) {
      try {
        for (const t of JSON.parse(readFileSync(this.file, "utf8")) as Task[]) this.tasks.set(t.ID, t);
      } catch {
        // a torn write: start afresh; the archive still holds the lines
      }
    }
  }

  /** Records the tasks present in `before` and gone in `after` that ever had a container. */
  observe(before: ClusterState, after: ClusterState, archived: () => Promise<string[]>): void {
    const gone = Object.values(before.tasks).filter((t) => !after.tasks[t.ID] && t.Status.ContainerStatus?.ContainerID);
    if (gone.length === 0) return;
    for (const t of gone) this.tasks.set(t.ID, t);
    void archived().then((ids) => this.persist(new Set(ids)), () => undefined);
  }

  ofService(serviceId: string): Task[] {
    return [...this.tasks.values()].filter((t) => t.ServiceID === serviceId);
  }

  private persist(keep: Set<string>): void {
    // Keep the entries whose lines are archived, and those whose archiving may still be under way.
    const cutoff = Date.now() - 60_000;
    for (const [id, t] of this.tasks) if (!keep.has(id) && Date.parse(t.UpdatedAt) < cutoff) this.tasks.delete(id);
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.tasks.values()]));
    renameSync(tmp, this.file);
  }
}
