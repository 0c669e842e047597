/**
 * The one line the CLI prints for an error. Typed errors print their message; anything else (a bug,
 * or an engine error that slipped through untyped) prints its message once, without the doubled
 * `Error: Error: (HTTP code 500) server error - ` that dockerode's wrapper and a second wrap produced.
 */
import { isSwarmError } from "../../internal/api/index.ts";

export function errorText(err: unknown): string {
  let msg = isSwarmError(err) ? err.message : err instanceof Error ? err.message : String(err);
  for (;;) {
    const next = msg.replace(/^(?:Error: )+/, "").replace(/^\(HTTP code \d+\) [^-]*- /, "");
    if (next === msg) break;
    msg = next;
  }
  return msg.trim() || "unknown error (see the agent log)";
}
