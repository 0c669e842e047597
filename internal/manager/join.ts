/**
 * The manager's side of `swarm join` (channel `cluster.join`, open to joiners only: peers admitted by
 * a join secret). The role comes from which secret the joiner proved, the address from its connection;
 * the joiner only describes its engine. The node is recorded (`node.add`, refused if it is already a
 * member or was removed), a certificate is recorded and signed, and the joiner gets what it needs to
 * come back on its own: certificate, cluster key, managers' addresses.
 */
import {
  assertPlain, SwarmError, type ClusterState, type JoinReply, type JoinRequest, type Node, type NodeRole,
} from "../api/index.ts";
import { proposeOrThrow, type Store } from "../store/index.ts";
import type { PeerInfo } from "../transport/index.ts";
import { CERT_VALIDITY_MS, fromHex, signCertificate } from "./secrets.ts";

/** A joiner may try this often per minute (a wrong description, a retry); more is refused. */
const JOINS_PER_MINUTE = 6;

export function hostOf(address: string | undefined): string {
  if (!address) return "";
  const i = address.lastIndexOf(":");
  return i > 0 ? address.slice(0, i) : address;
}

export class JoinHandler {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(peer: PeerInfo, body: unknown): Promise<JoinReply> {
    this.rateLimit(peer.id);
    const role: NodeRole | undefined = peer.joinRole;
    if (peer.class !== "joiner" || !role) throw new SwarmError("FORBIDDEN", "cluster.join is only for nodes joining with a token");
    assertPlain(body, "join request");
    const d = (body as JoinRequest | null)?.description;
    if (!d || typeof d.Hostname !== "string" || d.Hostname.length === 0 || d.Hostname.length > 253) {
      throw SwarmError.invalid("a join request needs the node's description with its hostname");
    }
    const st = this.store.state;
    if (!st.cluster) throw SwarmError.unavailable("this manager has no cluster state yet; retry in a moment");
    const nowMs = this.now();
    const at = new Date(nowMs).toISOString();
    const addr = hostOf(peer.address);
    const node: Node = {
      ID: peer.id,
      Version: { Index: 1 },
      CreatedAt: at,
      UpdatedAt: at,
      Spec: { Role: role, Availability: "active", Labels: {} },
      Description: {
        Hostname: d.Hostname,
        Platform: { Architecture: String(d.Platform?.Architecture ?? ""), OS: String(d.Platform?.OS ?? "") },
        Resources: { NanoCPUs: Number(d.Resources?.NanoCPUs) || 0, MemoryBytes: Number(d.Resources?.MemoryBytes) || 0 },
        Engine: { EngineVersion: String(d.Engine?.EngineVersion ?? "") },
      },
      Status: { State: "ready", Addr: addr, Timestamp: at },
    };
    const notAfterMs = nowMs + CERT_VALIDITY_MS;
    const r = await proposeOrThrow(this.store, [
      { kind: "node.add", node },
      { kind: "node.certificate", id: peer.id, role, notAfterMs },
    ]);
    const serial = r.outcomes[1]!.ok ? (r.outcomes[1] as { value?: unknown }).value : undefined;
    if (typeof serial !== "number") throw new SwarmError("INTERNAL", "the certificate was not recorded");
    const cluster = this.store.state.cluster!;
    const signed = signCertificate(cluster, peer.id, role, serial, nowMs, notAfterMs);
    return {
      nodeId: peer.id,
      role,
      cert: signed.cert,
      sig: signed.sig,
      clusterId: cluster.ID,
      clusterPublicKey: fromHex(cluster.PublicKey),
      managers: managerAddresses(this.store.state),
    };
  }

  private rateLimit(id: string): void {
    const now = this.now();
    const recent = (this.attempts.get(id) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= JOINS_PER_MINUTE) throw new SwarmError("FORBIDDEN", "too many join attempts; wait a minute");
    recent.push(now);
    this.attempts.set(id, recent);
    if (this.attempts.size > 1000) this.attempts.clear();
  }
}

export function managerAddresses(st: ClusterState): string[] {
  return Object.values(st.nodes)
    .filter((n) => n.ManagerStatus?.Addr)
    .map((n) => n.ManagerStatus!.Addr)
    .sort();
}
