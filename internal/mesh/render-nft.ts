// Pure: nft -f text for the mesh table. The file first declares the table, deletes it, then defines it
// again: nft runs the whole file as ONE transaction, so applying replaces whatever a previous run (or a
// crashed agent) left in `table ip <tableName>`, atomically, and touches nothing outside that table.
// Established connections survive a replacement: their NAT bindings live in conntrack, not in rules.

import { fwmarkOf, hex, type DesiredService } from './desired.ts';
import type { RenderOptions } from './types.ts';

/** Which parts the table carries. */
export interface NftPlan {
  /** Services DNAT'ed by nft numgen maps for non-loopback destinations (nftables backend). */
  dnatServices: DesiredService[];
  /** Services DNAT'ed by nft for 127.0.0.0/8 destinations (loopback mode 'nft'). */
  loopbackServices: DesiredService[];
  /** Services marked for IPVS fwmark virtual services (ipvs backend). */
  ipvsServices: DesiredService[];
  /** Services with zero endpoints: rejected at once (TCP reset / ICMP unreachable). */
  rejectServices: DesiredService[];
}

const mapName = (s: DesiredService): string => `svc_${s.protocol}_${s.port}`;

function mapDecl(s: DesiredService): string[] {
  const elems = s.targets.map((t, i) => `${i} : ${t.ip} . ${t.port}`).join(', ');
  return [
    `\tmap ${mapName(s)} {`,
    `\t\ttypeof numgen inc mod ${s.targets.length} : ip daddr . ${s.protocol} dport`,
    `\t\telements = { ${elems} }`,
    `\t}`,
  ];
}

function dnatRule(s: DesiredService, opts: RenderOptions): string {
  return (
    `\t\tmeta l4proto ${s.protocol} ${s.protocol} dport ${s.port} ct mark set ct mark | ${hex(opts.connMark)} ` +
    `dnat ip to numgen inc mod ${s.targets.length} map @${mapName(s)}`
  );
}

const LOOPBACK = '127.0.0.0/8';

export function renderNft(plan: NftPlan, opts: RenderOptions): string {
  const t = opts.tableName;
  const out: string[] = [`table ip ${t}`, `delete table ip ${t}`, `table ip ${t} {`];
  const withMaps = [...plan.dnatServices];
  for (const s of plan.loopbackServices) if (!withMaps.includes(s)) withMaps.push(s);
  for (const s of withMaps) out.push(...mapDecl(s));

  if (plan.dnatServices.length > 0) {
    out.push(`\tchain services {`);
    for (const s of plan.dnatServices) out.push(dnatRule(s, opts));
    out.push(`\t}`);
  }
  if (plan.loopbackServices.length > 0) {
    out.push(`\tchain loopback_services {`);
    for (const s of plan.loopbackServices) out.push(dnatRule(s, opts));
    out.push(`\t}`);
  }

  // Traffic from other hosts to any local address.
  out.push(`\tchain prerouting {`, `\t\ttype nat hook prerouting priority dstnat; policy accept;`);
  if (plan.dnatServices.length > 0) out.push(`\t\tfib daddr type local jump services`);
  out.push(`\t}`);
  // Traffic from this host to its own addresses (and to 127/8 when loopback is nft's job).
  out.push(`\tchain output {`, `\t\ttype nat hook output priority -100; policy accept;`);
  if (plan.loopbackServices.length > 0) out.push(`\t\tip daddr ${LOOPBACK} jump loopback_services`);
  if (plan.dnatServices.length > 0) out.push(`\t\tip daddr != ${LOOPBACK} fib daddr type local jump services`);
  out.push(`\t}`);

  if (plan.ipvsServices.length > 0) {
    // IPVS fwmark services: the mark selects the virtual service; IPVS then does the DNAT.
    const marks = plan.ipvsServices.map(
      (s) => `meta l4proto ${s.protocol} ${s.protocol} dport ${s.port} meta mark set ${hex(fwmarkOf(opts, s.protocol, s.port))} ct mark set ct mark | ${hex(opts.connMark)}`,
    );
    out.push(`\tchain ipvs_prerouting {`, `\t\ttype filter hook prerouting priority mangle; policy accept;`);
    for (const m of marks) out.push(`\t\tfib daddr type local ${m}`);
    out.push(`\t}`);
    out.push(`\tchain ipvs_output {`, `\t\ttype route hook output priority mangle; policy accept;`);
    for (const m of marks) out.push(`\t\tip daddr != ${LOOPBACK} fib daddr type local ${m}`);
    out.push(`\t}`);
  }

  // Full NAT: packets we redirected to another node leave with this node's address, so the reply
  // comes back through this node (the endpoint's node would otherwise answer the client directly).
  out.push(`\tchain postrouting {`, `\t\ttype nat hook postrouting priority srcnat; policy accept;`);
  // The conntrack mark is set by the first packet of every mesh connection (DNAT or IPVS mark rule).
  // Connections DNAT'ed to a container of this node are not masqueraded: the reply comes back through
  // this node anyway (the container's gateway), and the task sees the client's address.
  const local = localAddresses(plan);
  const except = local.length > 0 ? ` ip daddr != { ${local.join(', ')} }` : '';
  out.push(`\t\tct mark & ${hex(opts.connMark)} == ${hex(opts.connMark)}${except} oifname != "lo" masquerade`);
  out.push(`\t}`);

  if (plan.rejectServices.length > 0) {
    out.push(`\tchain input {`, `\t\ttype filter hook input priority filter; policy accept;`);
    for (const s of plan.rejectServices) {
      const how = s.protocol === 'tcp' ? 'reject with tcp reset' : 'reject';
      out.push(`\t\tmeta l4proto ${s.protocol} ${s.protocol} dport ${s.port} ${how}`);
    }
    out.push(`\t}`);
  }
  out.push(`}`);
  return out.join('\n') + '\n';
}

/** Addresses of local containers that DNAT targets (sorted, unique). */
function localAddresses(plan: NftPlan): string[] {
  const ips = new Set<string>();
  for (const s of [...plan.dnatServices, ...plan.loopbackServices, ...plan.ipvsServices]) for (const t of s.targets) if (t.local) ips.add(t.ip);
  return [...ips].sort();
}

/** nft text that removes the mesh table if present (idempotent). */
export function renderNftDelete(opts: RenderOptions): string {
  return `table ip ${opts.tableName}\ndelete table ip ${opts.tableName}\n`;
}
