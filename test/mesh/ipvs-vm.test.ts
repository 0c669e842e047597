// IPVS backend, in a qemu VM with Debian's cloud kernel (this host's kernel has no IPVS).
// The VM has no Bun: the IPVS backend runs HERE against a recording runner, and the exact commands it
// issued (sysctl, ipvsadm -R, nft -f) are replayed in the VM by its init. See scripts/ipvs-vm/init
// for the topology. One boot covers: balancing over two "remote" endpoints (full NAT needed), the
// node reaching its own address, 127.0.0.1 through nft DNAT, an endpoint change, zero endpoints, clear,
// all with the FORWARD policy at DROP (as Docker leaves it) so our accept rule is exercised too.
// Budget: image build ~45 s once per machine (cached in /var/cache/swarm-ipvs-vm), one boot 12-25 s.
import { describe, expect, test } from 'bun:test';
import {
  defaultRenderOptions,
  IpvsBackend,
  parseIpvsSave,
  RecordingRunner,
  renderRuleset,
  toShellScript,
  type Endpoint,
  type IpvsService,
  type PublishedService,
} from '../../internal/mesh/index.ts';
import { prepareIpvsVm, runIpvsVm } from './fixtures/ipvs-vm.ts';

const opts = { ...defaultRenderOptions(), loopback: 'nft' as const };
const WEB: PublishedService = { serviceId: 'web', publishedPort: 8080, protocol: 'tcp' };
const ep = (nodeIp: string, hostPort: number): Endpoint => ({ serviceId: 'web', nodeIp, hostPort, targetPort: 80 });
const BE1 = ep('10.9.0.11', 8001);
const BE2 = ep('10.9.0.12', 8002);
const LOCAL = ep('10.9.0.1', 8003);

/** ipvsadm -S -n output for a state, as the kernel would print it (for the recording runner). */
function saveText(state: IpvsService[]): string {
  return state.flatMap((s) => [`-A -f ${s.fwmark} -s ${s.scheduler}`, ...s.reals.map((r) => `-a -f ${s.fwmark} -r ${r.ip}:${r.port} -m -w 1`)]).join('\n') + '\n';
}

/** What the recording runner believes about the VM's kernel (the replay checks every exit status). */
const kernel = { forwardRules: 0 };

/** Runs our IpvsBackend against a recording runner that believes IPVS is in `before`. */
async function record(before: IpvsService[], act: (b: IpvsBackend) => Promise<void>): Promise<string> {
  const runner = new RecordingRunner((argv) => {
    if (argv[0] === 'ipvsadm' && argv[1] === '-S') return { code: 0, stdout: saveText(before), stderr: '' };
    if (argv[0] === 'iptables' && argv[2] === '-C') return { code: kernel.forwardRules > 0 ? 0 : 1, stdout: '', stderr: '' };
    if (argv[0] === 'iptables' && argv[2] === '-I') kernel.forwardRules++;
    if (argv[0] === 'iptables' && argv[2] === '-D') return kernel.forwardRules > 0 ? (kernel.forwardRules--, { code: 0, stdout: '', stderr: '' }) : { code: 1, stdout: '', stderr: '' };
    return { code: 0, stdout: '', stderr: '' };
  });
  await act(new IpvsBackend(runner, opts));
  return toShellScript(runner.commands);
}

const image = prepareIpvsVm();
const skip = typeof image === 'string' ? image : null;
if (skip) console.warn(`SKIPPING IPVS VM test: ${skip}`);

describe.skipIf(skip !== null)('IPVS backend in a VM', () => {
  test('renders, applies with our commands, balances with full NAT, follows changes, cleans up', async () => {
    if (typeof image === 'string') return;
    const r1 = renderRuleset('ipvs', [WEB], [BE1, BE2], opts);
    const r2 = renderRuleset('ipvs', [WEB], [BE1, LOCAL], opts);
    const r3 = renderRuleset('ipvs', [WEB], [], opts);
    const files: Record<string, string> = {
      'p1.sh': await record([], (b) => b.apply(r1)),
      'p2.sh': await record(r1.ipvs!, (b) => b.apply(r2)),
      'p3.sh': await record(r2.ipvs!, (b) => b.apply(r3)),
      'clear.sh': await record(r3.ipvs!, (b) => b.clear()),
    };
    expect(files['p2.sh']).toContain(`-d -f ${r1.ipvs![0]!.fwmark} -r 10.9.0.12:8002`);
    const reqs = (phase: string, who: string, ns: string, url: string, n: number) =>
      Array.from({ length: n }, () => `echo "REQ ${phase} ${who} $(req ${ns} ${url})"`).join('\n');
    const VIP = 'http://10.9.0.1:8080/';
    files['run.sh'] = [
      // Like a host where Docker enabled forwarding: only our accept rule lets mesh traffic through.
      'iptables -w -P FORWARD DROP && echo "FORWARD DROP"',
      'phase() { if sh /mesh/$1.sh > /tmp/$1.log 2>&1; then echo "APPLIED $1"; else echo "APPLY-FAILED $1"; sed "s/^/LOG $1 /" /tmp/$1.log; fi; ipvsadm -S -n | sed "s/^/SAVE $1 /"; }',
      'phase p1',
      reqs('p1', 'client', 'client', VIP, 6),
      reqs('p1', 'node', '-', VIP, 2),
      reqs('p1', 'loopback', '-', 'http://127.0.0.1:8080/', 2),
      'phase p2',
      reqs('p2', 'client', 'client', VIP, 6),
      'phase p3',
      reqs('p3', 'client', 'client', VIP, 1),
      reqs('p3', 'node', '-', VIP, 1),
      'echo "FWD $(iptables -w -S FORWARD | tr "\\n" " ")"',
      'phase clear',
      'echo "TABLES $(nft list tables | tr "\\n" " ")"',
      'echo "FWDCLEAR $(iptables -w -S FORWARD | tr "\\n" " ")"',
    ].join('\n') + '\n';

    const out = await runIpvsVm(image, files);
    const lines = out.split('\n');
    const pick = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
    const diag = lines.filter((l) => /^(VM:|APPLY|LOG|REQ|SAVE|TABLES)/.test(l)).join('\n');
    expect(pick('VM: done').length, diag).toBe(1);
    expect(pick('FORWARD DROP').length, diag).toBe(1);
    expect(pick('APPLIED '), diag).toEqual(['p1', 'p2', 'p3', 'clear']);
    expect(pick('FWD ')[0], diag).toContain('--comment swarm-mesh -j ACCEPT');

    // The kernel holds exactly the state our plans assumed (so diffs computed here were right).
    expect(parseIpvsSave(pick('SAVE p1 ').join('\n'), opts)).toEqual(r1.ipvs!);
    expect(parseIpvsSave(pick('SAVE p2 ').join('\n'), opts)).toEqual(r2.ipvs!);
    expect(parseIpvsSave(pick('SAVE p3 ').join('\n'), opts)).toEqual([]);
    expect(pick('SAVE clear ')).toEqual([]);

    const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
    // Round robin over two remote endpoints: only works with full NAT (they would answer the client directly).
    expect(count(pick('REQ p1 client ')), diag).toEqual({ be1: 3, be2: 3 });
    expect(pick('REQ p1 node ').every((b) => b === 'be1' || b === 'be2'), diag).toBe(true);
    expect(pick('REQ p1 loopback ').every((b) => b === 'be1' || b === 'be2'), diag).toBe(true);
    expect(pick('REQ p1 loopback ').length).toBe(2);
    // be2 removed, a local endpoint added.
    expect(count(pick('REQ p2 client ')), diag).toEqual({ be1: 3, local: 3 });
    // Zero endpoints: refused at once (the reject rule), not a 5 s timeout.
    for (const r of [...pick('REQ p3 client '), ...pick('REQ p3 node ')]) expect(r, diag).toContain('refused');
    // clear() left no table behind.
    expect(pick('TABLES ')[0] ?? '', diag).not.toContain('swarm_mesh');
    expect(pick('FWDCLEAR ')[0] ?? '', diag).not.toContain('swarm-mesh');
  }, 240_000);
});
