/**
 * A service's `healthcheck:` → Docker's HealthConfig, as `docker stack deploy` converts it: `test` as a
 * list (`[CMD, …]`, `[CMD-SHELL, "…"]`, `[NONE]`) or a string (run by the shell: `[CMD-SHELL, "…"]`);
 * `disable: true` is `[NONE]` (and cannot go with a test); interval, timeout and start_period are
 * durations, retries a count. Fields left out keep the image's (0). `start_interval` (API 1.44) is
 * warned about and ignored.
 */
import type { HealthConfig } from "../api/index.ts";
import type { Reader } from "./read.ts";
import type { Node } from "./tree.ts";

export function convertHealthcheck(r: Reader, n: Node, path: string, service: string): HealthConfig | undefined {
  const m = r.map(n, path);
  if (!m) return undefined;
  r.known(m, path, ["test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"]);
  const get = (k: string) => m.entries.get(k)?.value;
  if (m.entries.has("start_interval")) r.issues.warn(`service "${service}": ignoring unsupported option ${path}.start_interval`);
  const testNode = get("test");
  let test: string[] | undefined;
  if (testNode) {
    if (testNode.kind === "seq") test = r.strings(testNode, `${path}.test`);
    else {
      const s = r.str(testNode, `${path}.test`);
      if (s !== undefined) test = s === "NONE" ? ["NONE"] : ["CMD-SHELL", s];
    }
    if (test && test.length > 0 && !["CMD", "CMD-SHELL", "NONE"].includes(test[0]!)) {
      // Docker reads a list without a leading keyword as is (and the engine refuses it): say so here.
      r.fail(testNode, `${path}.test`, `a list must start with CMD, CMD-SHELL or NONE (e.g. [CMD, curl, -f, http://localhost/]), or be a string run by the shell`);
      return undefined;
    }
  }
  const disable = get("disable");
  if (disable && r.bool(disable, `${path}.disable`)) {
    if (test && test.length) return r.fail(disable, `${path}.disable`, "test and disable can't be set at the same time");
    return { Test: ["NONE"] };
  }
  const out: HealthConfig = {};
  if (test) out.Test = test;
  for (const [key, field] of [["interval", "Interval"], ["timeout", "Timeout"], ["start_period", "StartPeriod"]] as const) {
    const v = get(key);
    if (v) {
      const d = r.duration(v, `${path}.${key}`);
      if (d !== undefined) out[field] = d;
    }
  }
  const retries = get("retries");
  if (retries) {
    const v = r.int(retries, `${path}.retries`, 0, 1_000_000);
    if (v !== undefined) out.Retries = v;
  }
  return out;
}
