// Membership arithmetic for single-server changes: the configuration that results from one ConfChange,
// or why the change is refused. Pure.
import { RaftError } from "./errors.ts";
import { ConfChangeType, encodeConfEntry, EntryType } from "./types.ts";
import type { ConfChange, ConfState, Entry, HardState, NodeId } from "./types.ts";

/** `caughtUp(id)` tells whether a learner has replicated enough of the log to be promoted. */
export function applyConfChange(c: ConfState, cc: ConfChange, caughtUp: (id: NodeId) => boolean): ConfState | RaftError {
  const { voters, learners } = c;
  const id = cc.nodeId;
  const member = voters.includes(id) || learners.includes(id);
  switch (cc.type) {
    case ConfChangeType.AddVoter:
    case ConfChangeType.AddLearner:
      if (member) return RaftError.confChangeInvalid(`${id} is already a member; remove it first`);
      return cc.type === ConfChangeType.AddVoter ? { voters: [...voters, id], learners } : { voters, learners: [...learners, id] };
    case ConfChangeType.Promote:
      if (!learners.includes(id)) return RaftError.confChangeInvalid(`${id} is not a learner; add it as a learner first`);
      if (!caughtUp(id)) return RaftError.learnerNotCaughtUp(id);
      return { voters: [...voters, id], learners: learners.filter((x) => x !== id) };
    case ConfChangeType.Remove:
      if (!member) return RaftError.confChangeInvalid(`${id} is not a member`);
      if (voters.length === 1 && voters[0] === id) return RaftError.confChangeInvalid("cannot remove the last voter");
      return { voters: voters.filter((x) => x !== id), learners: learners.filter((x) => x !== id) };
    default:
      return RaftError.confChangeInvalid(`unknown change type ${String((cc as ConfChange).type)}; use AddLearner, Promote or Remove`);
  }
}

/** The log prefix and hard state a brand-new cluster writes on every initial voter before starting. */
export function bootstrapState(voters: NodeId[]): { hardState: HardState; entries: Entry[] } {
  const conf: ConfState = { voters: [...voters], learners: [] };
  const data = encodeConfEntry({ change: { type: ConfChangeType.AddVoter, nodeId: voters[0]! }, conf });
  return { hardState: { term: 1, vote: null, commit: 1 }, entries: [{ index: 1, term: 1, type: EntryType.Conf, data }] };
}
