// The backend interface and its in-memory twin.
//
// Contract (every implementation): apply(r) makes the node's swarm-owned state equal to r (the parts
// this backend owns), replacing whatever swarm state was there before, including state left by a
// crashed agent; applying the same ruleset twice is a no-op; it never touches state swarm does not own.
// clear() removes all swarm-owned state of this backend; it is idempotent. release() (optional) stops
// what lives in this process (listeners) and leaves kernel state in place: the agent is stopping and a
// new one adopts the rules (its first apply replaces them). Calls are serialised by
// the caller (Mesh); a failed apply throws MeshError('MESH_APPLY_FAILED') and may be retried.

import type { Ruleset } from './types.ts';

export interface Backend {
  readonly name: string;
  apply(ruleset: Ruleset): Promise<void>;
  clear(): Promise<void>;
  release?(): Promise<void>;
}

/** In-memory twin: remembers the applied ruleset; `failNext` injects one apply failure. */
export class FakeBackend implements Backend {
  current: Ruleset | null = null;
  readonly applied: Ruleset[] = [];
  clears = 0;
  releases = 0;
  failNext: Error | null = null;

  constructor(readonly name: string = 'fake') {}

  async apply(ruleset: Ruleset): Promise<void> {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.applied.push(ruleset);
    this.current = ruleset;
  }

  async clear(): Promise<void> {
    this.clears++;
    this.current = null;
  }

  /** Like a kernel backend: what was applied stays. */
  async release(): Promise<void> {
    this.releases++;
  }
}
