/**
 * Where the agent's own log lines go (pino's destination). Logging must never take the agent down: a
 * full disk (ENOSPC) killed the agent through its log file, leaving a stale socket. A line that cannot
 * be written is dropped and counted; the next line that can be written is preceded by one saying how
 * many were lost and why, so the log shows the gap once space returns. A file descriptor that went
 * bad is reopened.
 *
 * Contract: `write` never throws; lines arrive whole (one write per line) or not at all.
 */
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** The few file operations the sink needs: the real ones by default, failing ones in tests. */
export interface SinkFs {
  open(path: string): number;
  write(fd: number, data: string): void;
  close(fd: number): void;
}

export const realSinkFs: SinkFs = {
  open(path) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, "a", 0o600);
    fchmodSync(fd, 0o600);
    return fd;
  },
  write(fd, data) {
    let buf = Buffer.from(data);
    while (buf.length > 0) {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    }
  },
  close: (fd) => closeSync(fd),
};

export interface LogSink {
  write(line: string): void;
  /** Lines dropped since the last successful write, and the last error's code. */
  readonly dropped: number;
  readonly lastError: string | undefined;
  close(): void;
}

export function createLogSink(path: string, fs: SinkFs = realSinkFs, now: () => number = Date.now): LogSink {
  let fd: number | undefined;
  let dropped = 0;
  let lastError: string | undefined;
  const tryOpen = (): number | undefined => {
    try {
      fd ??= fs.open(path);
    } catch (e) {
      lastError = (e as NodeJS.ErrnoException).code ?? String(e);
    }
    return fd;
  };
  tryOpen();
  return {
    write(line) {
      const f = tryOpen();
      if (f === undefined) {
        dropped++;
        return;
      }
      try {
        if (dropped > 0) {
          const note = JSON.stringify({ level: 40, time: now(), msg: `${dropped} log lines were dropped (${lastError}): the log file could not be written` });
          fs.write(f, `${note}\n`);
          dropped = 0;
        }
        fs.write(f, line);
      } catch (e) {
        dropped++;
        lastError = (e as NodeJS.ErrnoException).code ?? String(e);
        if (lastError === "EBADF") fd = undefined; // reopen on the next line
      }
    },
    get dropped() {
      return dropped;
    },
    get lastError() {
      return lastError;
    },
    close() {
      if (fd !== undefined) {
        try {
          fs.close(fd);
        } catch {
          // closing a file we could not write to: nothing more to lose
        }
      }
      fd = undefined;
    },
  };
}
