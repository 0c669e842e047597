/**
 * Performs `planMembership` on the leader: re-plans on every state change, peer event and tick, and
 * runs one step at a time (Raft allows one configuration change in flight). Failures are logged and
 * retried on the next round; nothing here blocks the API.
 */
import type { Logger } from "pino";
import { RaftError, RaftErrorCode, type RaftNode } from "../raft/index.ts";
import type { Store } from "../store/index.ts";
import type { ClusterTransport, SignedCertificate } from "../transport/index.ts";
import type { Dispatcher } from "./dispatcher/index.ts";
import { planMembership, type MembershipStep } from "./membership.ts";
import { CERT_VALIDITY_MS, signCertificate } from "./secrets.ts";

const TICK_MS = 500;

export class MembershipLoop {
  private running = false;
  private again = false;
  private stopped = false;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly unsubscribe: (() => void)[];
  /** When a certificate was last pushed to each node, so a slow node is not sent one per round. */
  private readonly pushed = new Map<string, number>();

  constructor(
    private readonly raft: RaftNode,
    private readonly store: Store,
    private readonly transport: ClusterTransport,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
    private readonly onOwnCertificate: (signed: SignedCertificate) => void = () => {},
  ) {
    this.timer = setInterval(() => this.kick(), TICK_MS);
    this.unsubscribe = [store.subscribe(() => this.kick()), transport.on("peer-up", () => this.kick())];
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const u of this.unsubscribe) u();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.stopped);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "membership step failed; retrying");
      } finally {
        this.running = false;
      }
    })();
  }

  private async round(): Promise<void> {
    if (!this.raft.isLeader) return;
    const connected = new Set(this.transport.peers().filter((p) => p.class === "manager").map((p) => p.id));
    const steps = planMembership({
      state: this.store.state,
      conf: this.raft.status().conf,
      self: this.raft.id,
      connectedManagers: connected,
      sessions: new Set(this.dispatcher.sessionNodes()),
      presented: new Map(this.transport.peers().flatMap((p) => (p.certificate ? [[p.id, p.certificate.serial] as [string, number]] : []))),
      nowMs: Date.now(),
    });
    for (const s of steps) {
      if (this.stopped || !this.raft.isLeader) return;
      await this.perform(s);
    }
  }

  private async perform(s: MembershipStep): Promise<void> {
    try {
      switch (s.kind) {
        case "certify":
          return await this.certify(s.id, s.role);
        case "resend":
          return this.resend(s.id);
        case "certify-self":
          return await this.certifySelf();
        case "add-learner":
          this.log.info({ node: s.id.slice(0, 12) }, "adding a manager to Raft as a learner");
          await this.raft.addLearner(s.id);
          return;
        case "promote":
          this.log.info({ node: s.id.slice(0, 12) }, "promoting a caught-up learner to voter");
          await this.raft.promote(s.id);
          return;
        case "remove":
          this.log.info({ node: s.id.slice(0, 12) }, "removing a manager from Raft");
          await this.raft.removeVoter(s.id);
          return;
        case "transfer-leadership": {
          const to = this.raft.status().conf.voters.find((v) => v !== s.from && connectedVoter(this.transport, v));
          if (!to) return this.log.warn({}, "cannot hand leadership away: no other voter is connected");
          this.log.info({ to: to.slice(0, 12) }, "handing leadership to another manager before leaving Raft");
          await this.raft.transferLeadership(to);
          return;
        }
      }
    } catch (err) {
      const benign = err instanceof RaftError && (err.code === RaftErrorCode.ConfChangePending || err.code === RaftErrorCode.LearnerNotCaughtUp);
      if (!benign) throw err;
    }
  }

  /** Renews the leader's own certificate (nobody else can hand it one) and presents it from now on. */
  private async certifySelf(): Promise<void> {
    const nowMs = Date.now();
    const notAfterMs = nowMs + CERT_VALIDITY_MS;
    const r = await this.store.propose([{ kind: "node.certificate", id: this.raft.id, role: "manager", notAfterMs }]);
    const o = r.outcomes[0];
    if (!o?.ok || typeof o.value !== "number") return;
    const signed = signCertificate(this.store.state.cluster!, this.raft.id, "manager", o.value, nowMs, notAfterMs);
    this.onOwnCertificate(signed);
    this.log.info({ serial: o.value }, "renewed this manager's own certificate");
  }

  /** Signs the recorded certificate again (same serial and expiry) and sends it, at most every few seconds. */
  private resend(id: string): void {
    const cur = this.store.state.nodes[id]?.Certificate;
    const last = this.pushed.get(id);
    if (!cur || (last !== undefined && Date.now() - last < 5000)) return;
    const signed = signCertificate(this.store.state.cluster!, id, cur.Role, cur.Serial, Date.now(), cur.NotAfterMs);
    if (this.dispatcher.pushCertificate(id, signed.cert, signed.sig, cur.Role)) this.pushed.set(id, Date.now());
  }

  private async certify(id: string, role: "manager" | "worker"): Promise<void> {
    const nowMs = Date.now();
    const notAfterMs = nowMs + CERT_VALIDITY_MS;
    const r = await this.store.propose([{ kind: "node.certificate", id, role, notAfterMs }]);
    const o = r.outcomes[0];
    if (!o?.ok || typeof o.value !== "number") return;
    const cluster = this.store.state.cluster!;
    const signed = signCertificate(cluster, id, role, o.value, nowMs, notAfterMs);
    if (this.dispatcher.pushCertificate(id, signed.cert, signed.sig, role)) {
      this.pushed.set(id, Date.now());
      this.log.info({ node: id.slice(0, 12), role, serial: o.value }, "sent a node its certificate");
    }
  }
}

function connectedVoter(t: ClusterTransport, id: string): boolean {
  return t.isConnected(id);
}
