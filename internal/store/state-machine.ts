/** The store's StateMachine: decodes entries and folds them through `applyCommands`. */
import type { ClusterState, Command } from "../api/index.ts";
import { applyCommands, emptyState } from "./apply.ts";
import { decodeCommands, decodeSnapshot, encodeSnapshot } from "./codec.ts";
import type { LogEntry, StateMachine } from "./log.ts";

export class ClusterStateMachine implements StateMachine {
  state: ClusterState = emptyState();
  appliedIndex = 0;
  appliedTerm = 0;

  apply(entry: LogEntry): Command[] {
    if (entry.index <= this.appliedIndex) return [];
    const cmds = decodeCommands(entry.data);
    this.state = applyCommands(this.state, cmds);
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
    return cmds;
  }

  snapshot(): Uint8Array {
    return encodeSnapshot({ v: 1, appliedIndex: this.appliedIndex, appliedTerm: this.appliedTerm, state: this.state });
  }

  restore(bytes: Uint8Array): void {
    const body = decodeSnapshot(bytes);
    this.state = body.state;
    this.appliedIndex = body.appliedIndex;
    this.appliedTerm = body.appliedTerm;
  }
}
