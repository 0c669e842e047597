/**
 * Peer exchange (px) on the reserved channel "_transport.px", members only: when a member comes
 * up, each side tells the other which members it is connected to, and we dial the ones we lack
 * (Hyperswarm "explicit" peers). The mesh then converges through any well-connected node even when
 * two nodes' topic lookups missed each other. Used by the Hyperswarm adapter (the in-memory network
 * connects everyone itself).
 *
 * Bounded against an admitted member that floods it (issue 10 finding 4):
 * - a px message names members by their certificates, and we dial only ids whose certificate
 *   verifies under our cluster key, in our cluster, valid now and not revoked: a sender cannot make
 *   us dial keys that are not members;
 * - at most `maxPerMessage` entries are looked at per message, and each sender has a token bucket
 *   (`burst` messages, refilled at `perSecond`); the rest is dropped (counted in a rate-limited log);
 * - at most `maxDials` dial requests are open at once; each ends when the peer comes up or after
 *   `dialTtlMs` (topic discovery still finds a member we did not dial).
 * Only the smaller key of a pair dials (both ends hear of each other at once).
 */
import { verifyCertificate, type NodeId, type SignedCertificate } from "./admission.ts";
import { RESERVED, type TransportCore } from "./core.ts";
import { short } from "./errors.ts";
import { Buckets } from "./rate.ts";
import type { PeerInfo } from "./types.ts";

export const PX_CHANNEL = `${RESERVED}px`;

export interface PeerExchangeOptions {
  /** Certificates looked at per message: a cluster's members fit; more are ignored. */
  maxPerMessage?: number;
  /** Messages a sender may send in a burst, and refilled per second: a member coming up sends one
   * to each peer and each peer one back, so 16 covers a cluster starting together. */
  burst?: number;
  perSecond?: number;
  /** Open dial requests at most, and how long one stays open. */
  maxDials?: number;
  dialTtlMs?: number;
  now?: () => number;
}

export class PeerExchange {
  private readonly dials = new Map<NodeId, number>(); // id -> expiry
  private readonly buckets: Buckets;
  private readonly o: Required<PeerExchangeOptions>;

  constructor(
    private readonly core: TransportCore,
    private readonly dial: (id: NodeId) => void,
    private readonly undial: (id: NodeId) => void,
    o: PeerExchangeOptions = {},
  ) {
    this.o = { maxPerMessage: 64, burst: 16, perSecond: 2, maxDials: 32, dialTtlMs: 30_000, now: Date.now, ...o };
    this.buckets = new Buckets({ burst: this.o.burst, perSecond: this.o.perSecond, now: this.o.now });
    // 64 certificates of ~250 bytes: larger messages are refused before they are decoded.
    core.handleReserved(PX_CHANNEL, (msg, from) => this.onMessage(msg, from), { maxBytes: 24 * 1024 });
    core.on("peer-up", (p) => this.onPeerUp(p));
    core.on("peer-down", (id) => this.buckets.forget(id));
  }

  /** Open dial requests (tests and diagnostics). */
  get dialing(): number {
    return this.dials.size;
  }

  /** Dials `id` now (a lifted revocation), within the same bounds as exchanged ids. */
  dialNow(id: NodeId): void {
    this.expire();
    if (this.dials.has(id) || this.dials.size >= this.o.maxDials || this.core.isConnected(id)) return;
    this.dials.set(id, this.o.now() + this.o.dialTtlMs);
    this.dial(id);
  }

  /** Ends a dial request (connected, revoked, expired). */
  forget(id: NodeId): void {
    if (this.dials.delete(id)) this.undial(id);
  }

  private onPeerUp(p: PeerInfo): void {
    this.forget(p.id); // dialed and connected: Hyperswarm need not keep redialing it
    this.expire();
    if (p.class === "joiner" || !this.core.policy.clusterPublicKey) return; // members only; a joiner exchanges nothing
    const others = this.core.peers().filter((q) => q.id !== p.id && q.class !== "joiner");
    const certs = others.map((q) => this.core.signedCertificateOf(q.id)).filter((c): c is SignedCertificate => c !== undefined);
    for (let i = 0; i < certs.length; i += this.o.maxPerMessage) this.core.send(p.id, PX_CHANNEL, { certs: certs.slice(i, i + this.o.maxPerMessage) });
    const mine = this.core.signedCertificateOf(p.id);
    if (mine) for (const q of others) this.core.send(q.id, PX_CHANNEL, { certs: [mine] });
  }

  private onMessage(msg: unknown, from: NodeId): void {
    if (!this.buckets.take(from)) {
      this.core.limited.warn({ peer: short(from) }, "dropping peer exchange: sender over its rate");
      return;
    }
    const certs = (msg as { certs?: unknown })?.certs;
    const key = this.core.policy.clusterPublicKey;
    if (!Array.isArray(certs) || !key) return;
    this.expire();
    const now = this.o.now();
    for (const c of certs.slice(0, this.o.maxPerMessage)) {
      if (this.dials.size >= this.o.maxDials) break;
      const s = c as Partial<SignedCertificate> | null;
      if (!(s?.cert instanceof Uint8Array) || !(s.sig instanceof Uint8Array)) continue;
      const cert = verifyCertificate(key, { cert: s.cert, sig: s.sig }, now);
      if (!cert || cert.clusterId !== this.core.policy.clusterId) continue;
      const id = cert.nodeId;
      if (!/^[0-9a-f]{64}$/.test(id) || id === this.core.self || id === from) continue;
      if (this.core.isConnected(id) || this.core.isRevoked(id) || this.dials.has(id)) continue;
      if (id < this.core.self) continue; // the other end dials
      this.dials.set(id, now + this.o.dialTtlMs);
      this.dial(id);
    }
  }

  private expire(): void {
    const t = this.o.now();
    for (const [id, until] of this.dials) if (until <= t) this.forget(id);
  }
}
