// Which backends this node can run. probeKernel() performs two harmless commands; chooseBackend() is
// pure: auto prefers IPVS, then nftables, then userspace, and says why it skipped each.

import { MeshError } from './errors.ts';
import type { CommandRunner } from './runner.ts';
import type { BackendChoice, BackendName } from './types.ts';

export interface Support {
  ok: boolean;
  /** Why not (first line of the tool's error), empty when ok. */
  why: string;
}

export interface KernelSupport {
  ipvs: Support;
  nftables: Support;
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/**
 * IPVS: `ipvsadm -L -n` succeeds (it loads ip_vs if it is a module). Where the kernel lacks IPVS it
 * exits 2 with "Can't initialize ipvs: Protocol not available". nftables: `nft list tables` succeeds
 * (needs CAP_NET_ADMIN). A missing executable counts as unsupported.
 */
export async function probeKernel(runner: CommandRunner): Promise<KernelSupport> {
  const probe = async (argv: string[]): Promise<Support> => {
    const r = await runner.run(argv);
    if (r.code === 0) return { ok: true, why: '' };
    const msg = firstLine(r.stderr) || firstLine(r.stdout) || `exit status ${r.code}`;
    return { ok: false, why: `${argv.join(' ')}: ${msg}` };
  };
  const nftables = await probe(['nft', 'list', 'tables']);
  const ipvs = await probe(['ipvsadm', '-L', '-n']);
  return { ipvs, nftables };
}

export interface Choice {
  backend: BackendName;
  /** One line for the log: what was chosen and why the better ones were skipped. */
  reason: string;
}

/** IPVS also needs nftables (packet marks, masquerade, loopback). Throws if an explicit choice is unavailable. */
export function chooseBackend(choice: BackendChoice, s: KernelSupport): Choice {
  const ipvsOk = s.ipvs.ok && s.nftables.ok;
  const ipvsWhy = !s.ipvs.ok ? s.ipvs.why : s.nftables.ok ? '' : `IPVS needs nftables too (${s.nftables.why})`;
  switch (choice) {
    case 'ipvs':
      if (!ipvsOk) throw MeshError.backendUnavailable('ipvs', ipvsWhy);
      return { backend: 'ipvs', reason: 'ipvs requested' };
    case 'nftables':
      if (!s.nftables.ok) throw MeshError.backendUnavailable('nftables', s.nftables.why);
      return { backend: 'nftables', reason: 'nftables requested' };
    case 'userspace':
      return { backend: 'userspace', reason: 'userspace requested' };
    case 'auto':
      if (ipvsOk) return { backend: 'ipvs', reason: 'IPVS available' };
      if (s.nftables.ok) return { backend: 'nftables', reason: `IPVS unavailable (${ipvsWhy}); using nftables` };
      return { backend: 'userspace', reason: `IPVS unavailable (${ipvsWhy}); nftables unavailable (${s.nftables.why}); using the userspace proxy` };
    default:
      throw MeshError.invalidInput(`backend '${String(choice)}' (use auto, ipvs, nftables or userspace)`);
  }
}
