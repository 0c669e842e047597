// Shapes shared by the routing mesh: what the agent asks for (services, endpoints), the rendered
// desired state (Ruleset) that backends apply, and the options that choose how.
//
// Everything here is plain data: render functions are pure (state in, ruleset out), backends perform it.

export type Protocol = 'tcp' | 'udp';

/** A service port published on every node (`--publish P:T`): port P answers everywhere. */
export interface PublishedService {
  serviceId: string;
  publishedPort: number;
  protocol: Protocol;
}

/**
 * One running task of a service, reachable at nodeIp:hostPort (its container port targetPort is
 * published on its node at hostPort). targetPort is informational: the mesh forwards to hostPort.
 */
export interface Endpoint {
  serviceId: string;
  nodeIp: string;
  hostPort: number;
  targetPort: number;
  /**
   * A task on this node reached at its container's own address (nodeIp = the container's IP, hostPort
   * = its target port): kernel backends do not masquerade connections to it, so the task sees the
   * client's source address.
   */
  local?: boolean;
}

export type BackendName = 'ipvs' | 'nftables' | 'userspace';
export type BackendChoice = 'auto' | BackendName;

/**
 * How 127.0.0.1:P is served when the backend is a kernel one (the userspace backend always listens on
 * 0.0.0.0:P, which covers loopback).
 * - 'userspace': a userspace proxy bound to 127.0.0.1:P (default: needs no sysctl change).
 * - 'nft': nft DNAT in the output chain, which requires net.ipv4.conf.all.route_localnet=1 — a
 *   security-sensitive setting (other hosts' packets to 127/8 become routable), hence opt-in.
 */
export type LoopbackMode = 'userspace' | 'nft';

export interface RenderOptions {
  /** nftables table (family ip) owned by the mesh; everything swarm programs lives in it. */
  tableName: string;
  /**
   * Conntrack-mark bit set on every mesh connection (nft DNAT or IPVS mark rule): postrouting
   * masquerades those connections and the forward accept rule lets them through.
   */
  connMark: number;
  /**
   * Kernel backends: keep one iptables rule `FORWARD -m connmark --mark connMark/connMark -j ACCEPT`
   * (comment "swarm-mesh"), because Docker sets the FORWARD policy to DROP and a drop in iptables'
   * chain cannot be overridden from our own nft table. Disable where iptables is absent.
   */
  forwardAccept: boolean;
  /**
   * IPVS fwmark services use marks fwmarkBase | (udp ? 0x10000 : 0) | publishedPort, so marks are
   * stable per port across updates and all lie in [fwmarkBase, fwmarkBase + 0x1ffff].
   */
  fwmarkBase: number;
  loopback: LoopbackMode;
  /** IPVS scheduler for every service ('rr' round robin). */
  ipvsScheduler: string;
}

/** One sysctl the backend needs, e.g. { key: 'net.ipv4.ip_forward', value: '1' }. */
export interface Sysctl {
  key: string;
  value: string;
}

export interface Target {
  ip: string;
  port: number;
  /** A local container (see Endpoint.local): no masquerade. */
  local?: boolean;
}

/** A userspace listener: bind address and port, protocol, and round-robin targets. */
export interface ProxyRule {
  serviceId: string;
  protocol: Protocol;
  bindIp: string;
  port: number;
  targets: Target[];
}

/** One IPVS fwmark virtual service with its real servers (masquerading forward, weight 1). */
export interface IpvsService {
  fwmark: number;
  scheduler: string;
  reals: Target[];
}

/**
 * The complete desired state for one node. A backend applies the parts it owns and replaces
 * whatever swarm programmed before:
 * - nft: text for `nft -f` (one atomic transaction), or null when the mesh table must not exist.
 * - ipvs: the swarm-owned IPVS services (marks in the fwmark range), or null when IPVS is not used.
 * - proxies: userspace listeners (all of them for the userspace backend, loopback ones otherwise).
 * - forward: iptables FORWARD accept rules (see RenderOptions.forwardAccept).
 * - sysctls: kernel settings the kernel rules depend on.
 */
export interface Ruleset {
  backend: BackendName;
  nft: string | null;
  /** iptables rule specs (after the chain name) to keep in the filter table's FORWARD chain. */
  forward: string[][];
  ipvs: IpvsService[] | null;
  proxies: ProxyRule[];
  sysctls: Sysctl[];
}

/** Minimal logger (pino-compatible subset). */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
