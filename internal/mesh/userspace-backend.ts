// Userspace backend: one TCP or UDP proxy per ruleset.proxies entry, kept across applies so that
// established connections survive endpoint changes. Needs no root and no kernel support.

import type { Backend } from './backend.ts';
import { MeshError } from './errors.ts';
import { TcpProxy } from './proxy-tcp.ts';
import { UdpProxy } from './proxy-udp.ts';
import type { ProxyRule, Ruleset } from './types.ts';

type Proxy = TcpProxy | UdpProxy;

const keyOf = (r: Pick<ProxyRule, 'protocol' | 'bindIp' | 'port'>): string => `${r.protocol}/${r.bindIp}/${r.port}`;

export class UserspaceBackend implements Backend {
  readonly name = 'userspace';
  private readonly proxies = new Map<string, Proxy>();
  private readonly rules = new Map<string, ProxyRule>();

  /** What is installed, one line per proxy: 'tcp/0.0.0.0/8080 -> 10.0.0.1:30001,10.0.0.2:30002'. */
  describe(): string[] {
    return [...this.rules].map(([k, r]) => `${k} -> ${r.targets.map((t) => `${t.ip}:${t.port}`).join(',')}`).sort();
  }

  async apply(r: Ruleset): Promise<void> {
    const want = new Map(r.proxies.map((p) => [keyOf(p), p]));
    for (const [k, p] of this.proxies) {
      if (!want.has(k)) {
        this.proxies.delete(k);
        this.rules.delete(k);
        await p.close();
      }
    }
    const failures: string[] = [];
    for (const [k, rule] of want) {
      let p = this.proxies.get(k);
      if (!p) {
        p = rule.protocol === 'tcp' ? new TcpProxy(rule.bindIp, rule.port) : new UdpProxy(rule.bindIp, rule.port);
        this.proxies.set(k, p);
      }
      try {
        this.rules.set(k, rule);
        await p.setTargets(rule.targets);
      } catch (e) {
        failures.push(`${k}: ${(e as Error).message}`);
      }
    }
    if (failures.length > 0) throw MeshError.applyFailed('userspace listen', `${failures.join('; ')} (is another process using the port?)`);
  }

  /** Listeners live in this process: they go with it. */
  release(): Promise<void> {
    return this.clear();
  }

  async clear(): Promise<void> {
    const all = [...this.proxies.values()];
    this.proxies.clear();
    this.rules.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}
