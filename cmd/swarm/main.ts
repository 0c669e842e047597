#!/usr/bin/env bun
/**
 * The one `swarm` binary: agent and CLI. Parses global flags, then hands the rest to one command
 * file. Every error ends as one line on stderr and a non-zero exit.
 */
import { defaultConfig, socketFromHost, VERSION } from "../../internal/config/index.ts";
import { flushed, makeCtx } from "./context.ts";
import { errorText } from "./error-text.ts";
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

/** Exits once stdout and stderr have drained: output must arrive whole, whatever the reader's speed. */
async function exit(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (err) => {
    process.stderr.write(`Error: ${errorText(err)}\n`);
    return exit(1);
  },
);
