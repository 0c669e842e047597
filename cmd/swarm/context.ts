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

export function makeCtx(socket: string): Ctx {
  return {
    socket,
    client: new AgentClient(socket),
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
  };
}
