// Pure: IPVS state as data, parsing `ipvsadm -S -n`, and the `ipvsadm -R` lines that move the
// kernel from the current state to the desired one.
//
// IPVS has no transactions, so we diff instead of flushing: flushing would drop the connection table's
// services and break established connections. Only fwmark services inside the swarm range are ever
// touched; everything else in IPVS belongs to someone else and is left alone.

import { compareTargets, isSwarmFwmark } from './desired.ts';
import type { IpvsService, RenderOptions, Target } from './types.ts';

/** Parses `ipvsadm -S -n` (save format) and keeps the fwmark services in the swarm range. */
export function parseIpvsSave(text: string, opts: RenderOptions): IpvsService[] {
  const byMark = new Map<number, IpvsService>();
  for (const raw of text.split('\n')) {
    const args = raw.trim().split(/\s+/);
    const fi = args.indexOf('-f');
    if (fi < 0) continue;
    const mark = Number(args[fi + 1]);
    if (!Number.isFinite(mark) || !isSwarmFwmark(opts, mark)) continue;
    if (args[0] === '-A') {
      const si = args.indexOf('-s');
      const prev = byMark.get(mark);
      byMark.set(mark, { fwmark: mark, scheduler: si >= 0 ? args[si + 1]! : 'wlc', reals: prev?.reals ?? [] });
    } else if (args[0] === '-a') {
      const ri = args.indexOf('-r');
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(args[ri + 1] ?? '');
      if (ri < 0 || !m) continue;
      const svc = byMark.get(mark) ?? { fwmark: mark, scheduler: 'wlc', reals: [] };
      svc.reals.push({ ip: m[1]!, port: Number(m[2]) });
      byMark.set(mark, svc);
    }
  }
  return [...byMark.values()].sort((a, b) => a.fwmark - b.fwmark);
}

export interface IpvsPlan {
  /** Run before the nft marks change: create/edit services, add real servers. */
  add: string[];
  /** Run after the nft marks change: remove real servers and services no longer wanted. */
  remove: string[];
}

const key = (t: Target): string => `${t.ip}:${t.port}`;

/**
 * Lines for `ipvsadm -R` (never ipvsadm-restore, which clears all of IPVS first). Real servers are forwarded with masquerading (-m), weight 1. Removing a
 * real server keeps its established connections (IPVS keeps their entries until they expire).
 */
export function planIpvs(current: IpvsService[], desired: IpvsService[]): IpvsPlan {
  const add: string[] = [];
  const remove: string[] = [];
  const cur = new Map(current.map((s) => [s.fwmark, s]));
  const want = new Map(desired.map((s) => [s.fwmark, s]));
  for (const d of [...desired].sort((a, b) => a.fwmark - b.fwmark)) {
    const c = cur.get(d.fwmark);
    if (!c) add.push(`-A -f ${d.fwmark} -s ${d.scheduler}`);
    else if (c.scheduler !== d.scheduler) add.push(`-E -f ${d.fwmark} -s ${d.scheduler}`);
    const have = new Set((c?.reals ?? []).map(key));
    const need = new Set(d.reals.map(key));
    for (const r of [...d.reals].sort(compareTargets)) if (!have.has(key(r))) add.push(`-a -f ${d.fwmark} -r ${key(r)} -m -w 1`);
    for (const r of [...(c?.reals ?? [])].sort(compareTargets)) if (!need.has(key(r))) remove.push(`-d -f ${d.fwmark} -r ${key(r)}`);
  }
  for (const c of [...current].sort((a, b) => a.fwmark - b.fwmark)) if (!want.has(c.fwmark)) remove.push(`-D -f ${c.fwmark}`);
  return { add, remove };
}
