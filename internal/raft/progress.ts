// The leader's view of one follower's replication (etcd's Progress): how far its log matches, where to
// send next, and how many appends (or snapshot chunks) are in flight. Pure data plus small transitions;
// owned by the core.
import type { Snapshot } from "./types.ts";

export const ProgressState = { Probe: 0, Replicate: 1, Snapshot: 2 } as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Probe: an append is outstanding; wait for its answer (or a heartbeat answer) before sending more. */
  probeSent = false;
  /** Snapshot: the index of the snapshot being sent, and ticks since the follower last showed progress. */
  pendingSnapshot = 0;
  snapshotTicks = 0;
  /** Snapshot: the one snapshot being sent to this follower (kept even if the leader compacts again),
   * the offset of its next chunk to send, the most bytes the follower has acknowledged holding, and what
   * it acknowledged last (lower after a restart of the follower). */
  snap: Snapshot | null = null;
  snapSent = 0;
  snapAcked = 0;
  snapLastAck = 0;
  snapStarted = false;
  /** Snapshot: after a silence, one chunk at a time until the follower answers (a dead follower costs a
   * chunk per election timeout, not a window). */
  snapQuiet = false;
  /** Replicate: last index of each append in flight, oldest first. */
  inflights: number[] = [];
  /** Heard from since the last check-quorum round. */
  recentActive = false;

  constructor(next: number, readonly maxInflight: number) {
    this.next = next;
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.reset(ProgressState.Probe);
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset(ProgressState.Replicate);
  }

  becomeSnapshot(s: Snapshot): void {
    this.reset(ProgressState.Snapshot);
    this.pendingSnapshot = s.index;
    this.snap = s;
  }

  /** Snapshot: send again from what the follower last said it holds (after a silence). */
  rewindSnapshot(): void {
    this.snapSent = this.snapAcked = Math.min(this.snapAcked, this.snapLastAck);
    this.snapStarted = false;
    this.snapshotTicks = 0;
    this.snapQuiet = true;
  }

  private reset(s: ProgressState): void {
    this.state = s;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.snap = null;
    this.snapSent = this.snapAcked = this.snapLastAck = 0;
    this.snapStarted = false;
    this.snapQuiet = false;
    this.inflights = [];
  }

  /** An ack up to n arrived. Returns whether match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** A rejection of the append at `rejected` arrived; the follower's last index is `hint`.
   * Returns false if the rejection is stale (already superseded). */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Record that an append ending at `last` was sent. */
  sentEntries(last: number, count: number): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.push(last);
      }
    } else if (this.state === ProgressState.Probe) {
      this.probeSent = true;
    }
  }

  /** Acks free the window up to index. */
  freeTo(index: number): void {
    let i = 0;
    while (i < this.inflights.length && this.inflights[i]! <= index) i++;
    if (i > 0) this.inflights.splice(0, i);
  }

  freeFirst(): void {
    this.inflights.shift();
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.length >= this.maxInflight;
      default:
        return true;
    }
  }
}
