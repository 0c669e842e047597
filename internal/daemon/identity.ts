/** This node's stable identity, created once in the data dir. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newId } from "../manager/index.ts";

export function loadOrCreateNodeId(dataDir: string): string {
  const file = join(dataDir, "node-id");
  if (existsSync(file)) {
    const id = readFileSync(file, "utf8").trim();
    if (/^[0-9a-z]{25}$/.test(id)) return id;
  }
  const id = newId();
  writeFileSync(file, id + "\n", { mode: 0o600 });
  return id;
}
