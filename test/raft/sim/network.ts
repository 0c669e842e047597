// The simulated network: per-message delay, loss, duplication and reordering, plus directed link cuts
// (an asymmetric partition cuts one direction only). All randomness comes from the simulation's seed.
import type { Message, NodeId, Rand } from "../../../internal/raft/index.ts";

export interface NetConfig {
  minDelay: number;
  maxDelay: number;
  dropRate: number;
  dupRate: number;
  /** Probability that a message is held back much longer (reordering). */
  slowRate: number;
}

export class SimNetwork {
  private readonly cut = new Set<string>();
  messages = 0;
  dropped = 0;

  constructor(
    private readonly rand: Rand,
    public cfg: NetConfig,
    private readonly schedule: (delay: number, m: Message) => void,
  ) {}

  send(m: Message): void {
    this.messages++;
    const copies = this.rand.next() < this.cfg.dupRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.blocked(m.from, m.to) || this.rand.next() < this.cfg.dropRate) {
        this.dropped++;
        continue;
      }
      let d = this.rand.int(this.cfg.minDelay, this.cfg.maxDelay + 1);
      if (this.rand.next() < this.cfg.slowRate) d += this.rand.int(this.cfg.maxDelay, 10 * this.cfg.maxDelay + 1);
      this.schedule(d, m);
    }
  }

  blocked(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  /** Cut from→to only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Split the nodes into groups that cannot talk to each other. */
  partition(groups: NodeId[][]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cutOneWay(a, b);
  }

  isolate(id: NodeId, all: NodeId[]): void {
    this.partition([[id], all.filter((x) => x !== id)]);
  }

  heal(): void {
    this.cut.clear();
  }

  get partitioned(): boolean {
    return this.cut.size > 0;
  }
}
