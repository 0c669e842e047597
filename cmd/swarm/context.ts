/** What every command gets: the agent's socket, output streams, and a client. */
import { AgentClient } from "../../internal/client/index.ts";

export interface Ctx {
  socket: string;
  client: AgentClient;
  /** Writes to stdout; false when the reader is slower than us (then `await ctx.drained()`). */
  out: (s: string) => boolean;
  err: (s: string) => boolean;
  /** Resolves once stdout and stderr can take more (a streaming command awaits this when `out` says false). */
  drained: () => Promise<void>;
}

export type Command = {
  name: string;
  summary: string;
  hidden?: boolean;
  run: (argv: string[], ctx: Ctx) => Promise<number>;
};

/** Writes to a stream; a reader that went away (`swarm service logs -f | head`) ends the CLI quietly. */
function writer(stream: NodeJS.WriteStream): (s: string) => boolean {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  return (s) => {
    try {
      return stream.write(s);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EPIPE") process.exit(0);
      throw e;
    }
  };
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => stream.once("drain", () => resolve()));
}

/**
 * Resolves once everything written to `stream` has reached the reader (or the reader is gone).
 * `process.exit` does not wait for a pipe: without this, `swarm service ps big | (sleep 1; wc -l)`
 * printed a few hundred of 100,001 lines and exited 0.
 */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once("error", () => resolve());
    stream.end(() => resolve());
  });
}

export function makeCtx(socket: string): Ctx {
  return {
    socket,
    client: new AgentClient(socket),
    out: writer(process.stdout),
    err: writer(process.stderr),
    drained: async () => {
      await drained(process.stdout);
      await drained(process.stderr);
    },
  };
}
