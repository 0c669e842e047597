/**
 * LogArchive: a bounded copy of the logs of tasks whose containers were removed (scale-down,
 * replacement, service rm), so `service logs` can still show them (Docker Swarm loses them).
 *
 * File twin: one file per task in `<dir>/<taskId>.log`, lines `<ts> <o|e> <text>`, written atomically
 * (tmp + rename). Bounds: the last `maxLinesPerTask` lines and at most `maxBytesPerTask` bytes per task;
 * when all files exceed `maxTotalBytes` (each counted at least a disk block, so empty files count) or
 * `maxFiles`, the oldest saved are evicted first. The memory twin has the
 * same contract and passes the same suite (test/logs/archive.test.ts).
 */
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StampedLine } from "./demux.ts";

export interface LogArchive {
  /** Stores (replaces) the archived copy of a task's output, trimmed to the newest lines that fit. */
  save(taskId: string, lines: readonly StampedLine[]): Promise<void>;
  /** The archived lines, oldest first; undefined when the task has no archived copy. */
  read(taskId: string): Promise<StampedLine[] | undefined>;
  remove(taskId: string): Promise<void>;
  /** Task IDs with an archived copy. */
  list(): Promise<string[]>;
}

export interface LogArchiveLimits {
  /** Per task: keep the newest lines up to this many. Default 10,000. */
  maxLinesPerTask: number;
  /** Per task: keep the newest lines up to this many bytes (encoded). Default 1 MiB. */
  maxBytesPerTask: number;
  /**
   * All tasks together; the oldest saved copies are evicted first. Default 64 MiB. Every copy counts
   * at least FILE_COST_BYTES (a disk block), so empty copies are bounded by bytes too.
   */
  maxTotalBytes: number;
  /** At most this many copies; the oldest are evicted first. Default 2,000. */
  maxFiles: number;
}

/** What one archived copy costs at least, however small: a file's block on disk. */
export const FILE_COST_BYTES = 4096;

export function defaultLogArchiveLimits(): LogArchiveLimits {
  return { maxLinesPerTask: 10_000, maxBytesPerTask: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024, maxFiles: 2000 };
}

const costOf = (bodyBytes: number) => Math.max(bodyBytes, FILE_COST_BYTES);

/**
 * Pure: which copies to evict (oldest first) so that the rest fit `lim`; `keep` (the one just saved)
 * is never evicted. `entries` are in save order, oldest first.
 */
export function evictions(entries: readonly [string, number][], lim: LogArchiveLimits, keep: string): string[] {
  let total = 0;
  for (const [, bytes] of entries) total += costOf(bytes);
  let count = entries.length;
  const out: string[] = [];
  for (const [id, bytes] of entries) {
    if (total <= lim.maxTotalBytes && count <= lim.maxFiles) break;
    if (id === keep) continue;
    out.push(id);
    total -= costOf(bytes);
    count--;
  }
  return out;
}

function encodeLine(l: StampedLine): string {
  return `${l.ts || "-"} ${l.stream === "stderr" ? "e" : "o"} ${l.line.replace(/\n/g, " ")}\n`;
}

function decodeLine(s: string): StampedLine | undefined {
  const a = s.indexOf(" ");
  const b = s.indexOf(" ", a + 1);
  if (a < 0 || b < 0) return undefined;
  const ts = s.slice(0, a);
  return { ts: ts === "-" ? "" : ts, stream: s.slice(a + 1, b) === "e" ? "stderr" : "stdout", line: s.slice(b + 1) };
}

/** Pure: the encoded archive body for `lines` within the per-task limits (keeps the newest). */
export function encodeBounded(lines: readonly StampedLine[], limits: LogArchiveLimits): string {
  const kept: string[] = [];
  let bytes = 0;
  for (let i = lines.length - 1; i >= 0 && kept.length < limits.maxLinesPerTask; i--) {
    const enc = encodeLine(lines[i]!);
    const n = Buffer.byteLength(enc);
    if (bytes + n > limits.maxBytesPerTask) break;
    kept.push(enc);
    bytes += n;
  }
  return kept.reverse().join("");
}

export function decodeArchive(body: string): StampedLine[] {
  const out: StampedLine[] = [];
  for (const s of body.split("\n")) {
    if (s === "") continue;
    const l = decodeLine(s);
    if (l) out.push(l);
  }
  return out;
}

function safeName(taskId: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(taskId) || taskId.startsWith(".")) throw new Error(`invalid task id for the log archive: ${taskId}`);
  return taskId;
}

/** Memory twin: same bounds and eviction order, nothing persisted. */
export function createMemoryLogArchive(limits: Partial<LogArchiveLimits> = {}): LogArchive {
  const lim = { ...defaultLogArchiveLimits(), ...limits };
  const files = new Map<string, string>(); // insertion order = save order
  return {
    async save(taskId, lines) {
      safeName(taskId);
      files.delete(taskId);
      files.set(taskId, encodeBounded(lines, lim));
      const entries = [...files].map(([id, body]): [string, number] => [id, Buffer.byteLength(body)]);
      for (const id of evictions(entries, lim, taskId)) files.delete(id);
    },
    async read(taskId) {
      const body = files.get(taskId);
      return body === undefined ? undefined : decodeArchive(body);
    },
    async remove(taskId) {
      files.delete(taskId);
    },
    async list() {
      return [...files.keys()];
    },
  };
}

/** Durable archive in `dir` (created on first save). Saves are serialized. */
export function createFileLogArchive(dir: string, limits: Partial<LogArchiveLimits> = {}): LogArchive {
  const lim = { ...defaultLogArchiveLimits(), ...limits };
  let index: Promise<Map<string, { bytes: number; order: number }>> | undefined;
  let order = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f, f);
    queue = p.catch(() => undefined);
    return p;
  };
  const loadIndex = () => {
    index ??= (async () => {
      const m = new Map<string, { bytes: number; order: number }>();
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch {
        return m;
      }
      const found: { id: string; bytes: number; mtime: number }[] = [];
      for (const n of names) {
        if (!n.endsWith(".log")) continue;
        try {
          const st = await stat(join(dir, n));
          found.push({ id: n.slice(0, -4), bytes: st.size, mtime: st.mtimeMs });
        } catch {
          // vanished meanwhile
        }
      }
      found.sort((a, b) => a.mtime - b.mtime);
      for (const f of found) m.set(f.id, { bytes: f.bytes, order: order++ });
      return m;
    })();
    return index;
  };
  const path = (taskId: string) => join(dir, `${safeName(taskId)}.log`);
  return {
    save(taskId, lines) {
      return serial(async () => {
        const file = path(taskId);
        const body = encodeBounded(lines, lim);
        const m = await loadIndex();
        await mkdir(dir, { recursive: true });
        const tmp = `${file}.tmp`;
        await writeFile(tmp, body);
        await rename(tmp, file);
        m.delete(taskId);
        m.set(taskId, { bytes: Buffer.byteLength(body), order: order++ });
        const oldest = [...m.entries()].sort((a, b) => a[1].order - b[1].order).map(([id, v]): [string, number] => [id, v.bytes]);
        for (const id of evictions(oldest, lim, taskId)) {
          await unlink(path(id)).catch(() => undefined);
          m.delete(id);
        }
      });
    },
    async read(taskId) {
      try {
        return decodeArchive(await readFile(path(taskId), "utf8"));
      } catch {
        return undefined;
      }
    },
    remove(taskId) {
      return serial(async () => {
        await unlink(path(taskId)).catch(() => undefined);
        (await loadIndex()).delete(taskId);
      });
    },
    async list() {
      return [...(await loadIndex()).keys()];
    },
  };
}
