// Pure: validate the agent's input and group endpoints under their published service, in a
// deterministic order (so the same input always renders byte-identical rules).

import { MeshError } from './errors.ts';
import type { Endpoint, Protocol, PublishedService, RenderOptions, Target } from './types.ts';

export interface DesiredService {
  serviceId: string;
  protocol: Protocol;
  port: number;
  /** Sorted by ip then port, duplicates removed. Empty means "refuse at once". */
  targets: Target[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw MeshError.invalidInput(`${what} ${p} is not a port in 1..65535`);
}

function ipKey(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function compareTargets(a: Target, b: Target): number {
  return ipKey(a.ip) - ipKey(b.ip) || a.port - b.port;
}

/**
 * Validates and groups. Endpoints of services that are not published are ignored (a task may exist
 * before its service's ports are known). Two services may not publish the same protocol/port.
 */
export function desiredServices(services: PublishedService[], endpoints: Endpoint[]): DesiredService[] {
  const byId = new Map<string, DesiredService>();
  const byPort = new Map<string, string>();
  for (const s of services) {
    if (s.protocol !== 'tcp' && s.protocol !== 'udp') throw MeshError.invalidInput(`protocol '${String(s.protocol)}' of service ${s.serviceId} (use tcp or udp)`);
    checkPort(s.publishedPort, `published port of service ${s.serviceId}:`);
    const key = `${s.protocol}/${s.publishedPort}`;
    const other = byPort.get(key);
    if (other !== undefined && other !== s.serviceId) throw MeshError.invalidInput(`services ${other} and ${s.serviceId} both publish ${key}`);
    byPort.set(key, s.serviceId);
    // A service may publish several ports: key the map by service and port.
    byId.set(`${s.serviceId}\u0000${key}`, { serviceId: s.serviceId, protocol: s.protocol, port: s.publishedPort, targets: [] });
  }
  const perService = new Map<string, Target[]>();
  for (const e of endpoints) {
    if (!isIpv4(e.nodeIp)) throw MeshError.invalidInput(`node address '${e.nodeIp}' of an endpoint of ${e.serviceId} is not IPv4`);
    checkPort(e.hostPort, `host port of an endpoint of ${e.serviceId}:`);
    const list = perService.get(e.serviceId) ?? [];
    list.push(e.local ? { ip: e.nodeIp, port: e.hostPort, local: true } : { ip: e.nodeIp, port: e.hostPort });
    perService.set(e.serviceId, list);
  }
  const out: DesiredService[] = [];
  for (const d of byId.values()) {
    const seen = new Set<string>();
    const targets: Target[] = [];
    for (const t of (perService.get(d.serviceId) ?? []).slice().sort(compareTargets)) {
      const k = `${t.ip}:${t.port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      targets.push(t);
    }
    out.push({ ...d, targets });
  }
  return out.sort((a, b) => (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : a.port - b.port));
}

/** The IPVS fwmark of a published port: stable per (protocol, port), inside the swarm range. */
export function fwmarkOf(opts: RenderOptions, protocol: Protocol, port: number): number {
  return (opts.fwmarkBase | (protocol === 'udp' ? 0x10000 : 0) | port) >>> 0;
}

export function isSwarmFwmark(opts: RenderOptions, mark: number): boolean {
  return (mark & 0xfffe0000) >>> 0 === opts.fwmarkBase >>> 0;
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
