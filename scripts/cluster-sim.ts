/** See scripts/cluster-sim. */
import { parseArgs } from "node:util";
import { randomRun } from "../test/cluster/random-run.ts";

const { values } = parseArgs({ args: process.argv.slice(2), options: { seeds: { type: "string" }, start: { type: "string" }, steps: { type: "string" } } });
const n = Number(values.seeds ?? 20);
const start = Number(values.start ?? 1);
const steps = Number(values.steps ?? 16);
const failed: number[] = [];
const t0 = Date.now();
for (let s = start; s < start + n; s++) {
  try {
    await randomRun(s, steps);
    process.stdout.write(`seed ${s}: ok\n`);
  } catch (e) {
    failed.push(s);
    process.stdout.write(`seed ${s}: FAILED\n${(e as Error).message}\n`);
  }
}
console.log(`${n} seeds (${start}..${start + n - 1}): ${failed.length} failing${failed.length ? ` (${failed.join(", ")})` : ""}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed.length ? 1 : 0);
