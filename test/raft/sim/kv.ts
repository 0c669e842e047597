// The simulator's (and tests') state machine: a string key-value store fed by opaque Raft payloads.
import { EntryType } from "../../../internal/raft/index.ts";
import type { Entry } from "../../../internal/raft/index.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface PutCmd {
  key: string;
  value: string;
}

export function encodePut(c: PutCmd): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export class KvStore {
  data = new Map<string, string>();
  applied = 0;

  apply(e: Entry): void {
    if (e.index !== this.applied + 1) throw new Error(`kv: applying ${e.index} after ${this.applied}`);
    this.applied = e.index;
    if (e.type !== EntryType.Normal || e.data.length === 0) return;
    const c = JSON.parse(dec.decode(e.data)) as PutCmd;
    this.data.set(c.key, c.value);
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data].sort()));
  }

  restore(index: number, data: Uint8Array): void {
    this.data = new Map(data.length ? (JSON.parse(dec.decode(data)) as [string, string][]) : []);
    this.applied = index;
  }

  digest(): string {
    return JSON.stringify([...this.data].sort());
  }
}
