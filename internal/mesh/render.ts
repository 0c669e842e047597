// Pure: (published services, endpoints, options) → the complete desired Ruleset for one backend.
// Same input, same bytes. No I/O, no clock.
//
// Local addresses are not an input: kernel rules match `fib daddr type local`, which follows the
// node's addresses as they change, and the userspace proxy binds 0.0.0.0.

import { desiredServices, fwmarkOf, hex, type DesiredService } from './desired.ts';
import { MeshError } from './errors.ts';
import { renderNft } from './render-nft.ts';
import type { BackendName, Endpoint, ProxyRule, PublishedService, RenderOptions, Ruleset, Sysctl } from './types.ts';

/** Defaults, with the reason for each value. */
export function defaultRenderOptions(): RenderOptions {
  return {
    // Own table: applying replaces exactly this table and nothing else.
    tableName: 'swarm_mesh',
    // kube-proxy's masquerade bit is 0x4000; use a different bit so both can coexist on a host.
    connMark: 0x00100000,
    // Docker sets the FORWARD policy to DROP on most hosts: accept mesh connections explicitly.
    forwardAccept: true,
    // 'S' (0x53) in the top byte: easy to recognise in `ipvsadm -Ln`, far from Docker's small marks.
    fwmarkBase: 0x53000000,
    // No sysctl loosening by default: 127.0.0.1:P goes through a userspace proxy.
    loopback: 'userspace',
    ipvsScheduler: 'rr',
  };
}

export function validateRenderOptions(o: RenderOptions): RenderOptions {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(o.tableName)) throw MeshError.invalidInput(`table name '${o.tableName}'`);
  if ((o.fwmarkBase & 0x1ffff) !== 0) throw MeshError.invalidInput(`fwmarkBase ${o.fwmarkBase} must have its low 17 bits clear`);
  const m = o.connMark >>> 0;
  if (m === 0 || (m & (m - 1)) !== 0) throw MeshError.invalidInput(`connMark ${o.connMark} must be a single bit`);
  if (o.loopback !== 'userspace' && o.loopback !== 'nft') throw MeshError.invalidInput(`loopback mode '${String(o.loopback)}' (use userspace or nft)`);
  if (!/^[a-z]{2,5}$/.test(o.ipvsScheduler)) throw MeshError.invalidInput(`IPVS scheduler '${o.ipvsScheduler}'`);
  return o;
}

const FORWARD: Sysctl = { key: 'net.ipv4.ip_forward', value: '1' };
const ROUTE_LOCALNET: Sysctl = { key: 'net.ipv4.conf.all.route_localnet', value: '1' };
const IPVS_CONNTRACK: Sysctl = { key: 'net.ipv4.vs.conntrack', value: '1' };

/** The iptables FORWARD accept rule for mesh connections, identified by its comment. */
export function forwardRules(opts: RenderOptions): string[][] {
  if (!opts.forwardAccept) return [];
  const m = hex(opts.connMark);
  return [['-m', 'connmark', '--mark', `${m}/${m}`, '-m', 'comment', '--comment', 'swarm-mesh', '-j', 'ACCEPT']];
}

function proxies(services: DesiredService[], bindIp: string): ProxyRule[] {
  return services.map((s) => ({ serviceId: s.serviceId, protocol: s.protocol, bindIp, port: s.port, targets: s.targets }));
}

function kernelLoopback(live: DesiredService[], opts: RenderOptions): { loopbackServices: DesiredService[]; proxies: ProxyRule[]; sysctls: Sysctl[] } {
  if (opts.loopback === 'nft') return { loopbackServices: live, proxies: [], sysctls: [ROUTE_LOCALNET] };
  return { loopbackServices: [], proxies: proxies(live, '127.0.0.1'), sysctls: [] };
}

export function renderRuleset(
  backend: BackendName,
  services: PublishedService[],
  endpoints: Endpoint[],
  options: RenderOptions = defaultRenderOptions(),
): Ruleset {
  const opts = validateRenderOptions(options);
  const all = desiredServices(services, endpoints);
  const live = all.filter((s) => s.targets.length > 0);
  const empty = all.filter((s) => s.targets.length === 0);
  switch (backend) {
    case 'userspace':
      // Zero targets stay in the table: the proxy then refuses (closes its listener).
      return { backend, nft: null, forward: [], ipvs: null, proxies: proxies(all, '0.0.0.0'), sysctls: [] };
    case 'nftables': {
      const lo = kernelLoopback(live, opts);
      const nft = renderNft({ dnatServices: live, loopbackServices: lo.loopbackServices, ipvsServices: [], rejectServices: empty }, opts);
      return { backend, nft, forward: forwardRules(opts), ipvs: null, proxies: lo.proxies, sysctls: [FORWARD, ...lo.sysctls] };
    }
    case 'ipvs': {
      const lo = kernelLoopback(live, opts);
      const nft = renderNft({ dnatServices: [], loopbackServices: lo.loopbackServices, ipvsServices: live, rejectServices: empty }, opts);
      const ipvs = live.map((s) => ({ fwmark: fwmarkOf(opts, s.protocol, s.port), scheduler: opts.ipvsScheduler, reals: s.targets }));
      return { backend, nft, forward: forwardRules(opts), ipvs, proxies: lo.proxies, sysctls: [FORWARD, IPVS_CONNTRACK, ...lo.sysctls] };
    }
  }
}
