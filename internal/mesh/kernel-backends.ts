// Kernel backends: nftables (numgen DNAT maps) and IPVS (fwmark services, full NAT). They perform
// a Ruleset through a CommandRunner, so every effect is a command that tests can record.

import type { Backend } from './backend.ts';
import { MeshError } from './errors.ts';
import { parseIpvsSave, planIpvs } from './ipvs-plan.ts';
import { renderNftDelete } from './render-nft.ts';
import { forwardRules } from './render.ts';
import type { CommandRunner } from './runner.ts';
import type { RenderOptions, Ruleset, Sysctl } from './types.ts';

async function must(runner: CommandRunner, step: string, argv: string[], stdin?: string): Promise<string> {
  const r = await runner.run(argv, stdin);
  if (r.code !== 0) throw MeshError.applyFailed(step, `${argv.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * Sets sysctls, skipping the commands when the same list was set by this backend instance before
 * (they rarely change; each command is a process spawn on the update path).
 */
class SysctlSetter {
  private last = '';
  constructor(private readonly runner: CommandRunner) {}
  async apply(sysctls: Sysctl[]): Promise<void> {
    const key = JSON.stringify(sysctls);
    if (key === this.last) return;
    for (const s of sysctls) await must(this.runner, 'sysctl', ['sysctl', '-q', '-w', `${s.key}=${s.value}`]);
    this.last = key;
  }
}

/**
 * Keeps swarm's iptables FORWARD accept rules (checked with -C, inserted at the top when missing,
 * deleted by exact spec on clear). iptables (nf_tables flavour on Debian) is what Docker manages;
 * we touch only rules carrying the "swarm-mesh" comment.
 */
class ForwardRules {
  private last = '';
  constructor(private readonly runner: CommandRunner) {}

  async apply(specs: string[][]): Promise<void> {
    const key = JSON.stringify(specs);
    if (key === this.last) return;
    for (const spec of specs) {
      const c = await this.runner.run(['iptables', '-w', '-C', 'FORWARD', ...spec]);
      if (c.code === 0) continue;
      if (c.code === 127) throw MeshError.applyFailed('iptables', 'iptables is not installed (install it, or set forwardAccept: false where FORWARD accepts)');
      await must(this.runner, 'iptables', ['iptables', '-w', '-I', 'FORWARD', '1', ...spec]);
    }
    this.last = key;
  }

  async clear(specs: string[][]): Promise<void> {
    this.last = '';
    for (const spec of specs) {
      // Delete every copy (a crashed agent may have left duplicates); stop when none is left.
      for (let i = 0; i < 16; i++) if ((await this.runner.run(['iptables', '-w', '-D', 'FORWARD', ...spec])).code !== 0) break;
    }
  }
}

/** nftables: the whole table in one `nft -f` transaction. */
export class NftablesBackend implements Backend {
  readonly name = 'nftables';
  private readonly sysctls: SysctlSetter;
  private readonly forward: ForwardRules;
  constructor(
    private readonly runner: CommandRunner,
    private readonly opts: RenderOptions,
  ) {
    this.sysctls = new SysctlSetter(runner);
    this.forward = new ForwardRules(runner);
  }

  async apply(r: Ruleset): Promise<void> {
    await this.sysctls.apply(r.sysctls);
    await this.forward.apply(r.forward);
    await must(this.runner, 'nft', ['nft', '-f', '-'], r.nft ?? renderNftDelete(this.opts));
  }

  async clear(): Promise<void> {
    await must(this.runner, 'nft', ['nft', '-f', '-'], renderNftDelete(this.opts));
    await this.forward.clear(forwardRules(this.opts));
  }
}

/**
 * IPVS: fwmark virtual services (diffed against `ipvsadm -S -n`, swarm range only) plus the nft table
 * that marks packets, masquerades them (full NAT) and serves loopback when asked. Order: add IPVS
 * services and real servers, then swap the nft table, then remove what is no longer wanted, so a
 * marked packet always finds its service.
 */
export class IpvsBackend implements Backend {
  readonly name = 'ipvs';
  private readonly sysctls: SysctlSetter;
  private readonly forward: ForwardRules;
  constructor(
    private readonly runner: CommandRunner,
    private readonly opts: RenderOptions,
  ) {
    this.sysctls = new SysctlSetter(runner);
    this.forward = new ForwardRules(runner);
  }

  private async current() {
    return parseIpvsSave(await must(this.runner, 'ipvsadm', ['ipvsadm', '-S', '-n']), this.opts);
  }

  // `ipvsadm -R` reads commands from stdin. NOT ipvsadm-restore: that wrapper runs `ipvsadm -C` first,
  // which would wipe every IPVS service on the host (ours and others') and their connections.
  private async restore(lines: string[]): Promise<void> {
    if (lines.length > 0) await must(this.runner, 'ipvsadm -R', ['ipvsadm', '-R'], lines.join('\n') + '\n');
  }

  async apply(r: Ruleset): Promise<void> {
    await this.sysctls.apply(r.sysctls);
    await this.forward.apply(r.forward);
    const plan = planIpvs(await this.current(), r.ipvs ?? []);
    await this.restore(plan.add);
    await must(this.runner, 'nft', ['nft', '-f', '-'], r.nft ?? renderNftDelete(this.opts));
    await this.restore(plan.remove);
  }

  /** Removes the swarm IPVS services only (used when another kernel backend now owns the nft table). */
  async clearServicesOnly(): Promise<void> {
    await this.restore(planIpvs(await this.current(), []).remove);
  }

  async clear(): Promise<void> {
    await must(this.runner, 'nft', ['nft', '-f', '-'], renderNftDelete(this.opts));
    const plan = planIpvs(await this.current(), []);
    await this.restore(plan.remove);
    await this.forward.clear(forwardRules(this.opts));
  }
}
