#!/usr/bin/env bun
/**
 * The one `swarm` binary: agent and CLI. Parses global flags, then hands the rest to one command
 * file. Every error ends as one line on stderr and a non-zero exit.
 */
import { isSwarmError } from "../../internal/api/index.ts";
import { defaultConfig, socketFromHost, VERSION } from "../../internal/config/index.ts";
import { makeCtx } from "./context.ts";
import { dispatch, topHelp } from "./registry.ts";

async function main(argv: string[]): Promise<number> {
  let host: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-H" || a === "--host") host = argv[++i];
    else if (a.startsWith("--host=")) host = a.slice(7);
    else if (a === "-v" || a === "--version") {
      process.stdout.write(`swarm version ${VERSION}\n`);
      return 0;
    } else if (a === "-h" || a === "--help") {
      process.stdout.write(topHelp());
      return 0;
    } else break;
  }
  const socket = socketFromHost(host) ?? defaultConfig().socketPath;
  const rest = argv.slice(i);
  if (rest.length === 0) {
    process.stdout.write(topHelp());
    return 0;
  }
  return dispatch(rest, makeCtx(socket));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const msg = isSwarmError(err) ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`Error: ${msg}\n`);
    process.exit(1);
  },
);
