/** What every command gets: the agent's socket, output streams, and a client. */
import { AgentClient } from "../../internal/client/index.ts";

export interface Ctx {
  socket: string;
  client: AgentClient;
  out: (s: string) => void;
  err: (s: string) => void;
}

export type Command = {
  name: string;
  summary: string;
  hidden?: boolean;
  run: (argv: string[], ctx: Ctx) => Promise<number>;
};

/** Writes to a stream; a reader that went away (`swarm service logs -f | head`) ends the CLI quietly. */
function writer(stream: NodeJS.WriteStream): (s: string) => void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  return (s) => {
    try {
      stream.write(s);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EPIPE") process.exit(0);
      throw e;
    }
  };
}

export function makeCtx(socket: string): Ctx {
  return {
    socket,
    client: new AgentClient(socket),
    out: writer(process.stdout),
    err: writer(process.stderr),
  };
}
