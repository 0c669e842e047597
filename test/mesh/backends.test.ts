// Unit tests (no root): IPVS planning, backend choice, kernel backends' command generation (recorded),
// and the Mesh reconciler against the in-memory backend twin.
import { describe, expect, test } from 'bun:test';
import {
  chooseBackend,
  createMesh,
  defaultRenderOptions,
  FakeBackend,
  IpvsBackend,
  MeshError,
  NftablesBackend,
  parseIpvsSave,
  planIpvs,
  probeKernel,
  RecordingRunner,
  renderRuleset,
  toShellScript,
  type KernelSupport,
  type Logger,
} from '../../internal/mesh/index.ts';

const opts = defaultRenderOptions();
const web = { serviceId: 'web', publishedPort: 8080, protocol: 'tcp' as const };
const ep = (nodeIp: string, hostPort: number) => ({ serviceId: 'web', nodeIp, hostPort, targetPort: 80 });
const NO_IPVS = "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n";

describe('IPVS plan', () => {
  const save = [
    '-A -t 192.168.1.1:80 -s wlc', // not ours: ignored
    '-a -t 192.168.1.1:80 -r 10.9.9.9:80 -m -w 1',
    `-A -f ${0x53001f90} -s rr`,
    `-a -f ${0x53001f90} -r 10.0.0.1:30001 -m -w 1`,
    `-a -f ${0x53001f90} -r 10.0.0.9:30009 -m -w 1`,
    `-A -f ${0x530114e9} -s rr`,
    '-A -f 7 -s rr', // someone else's fwmark: ignored
  ].join('\n');

  test('parses only swarm fwmark services', () => {
    expect(parseIpvsSave(save, opts)).toEqual([
      { fwmark: 0x53001f90, scheduler: 'rr', reals: [{ ip: '10.0.0.1', port: 30001 }, { ip: '10.0.0.9', port: 30009 }] },
      { fwmark: 0x530114e9, scheduler: 'rr', reals: [] },
    ]);
  });

  test('diff: adds before removes, leaves foreign services alone, empty when converged', () => {
    const current = parseIpvsSave(save, opts);
    const desired = renderRuleset('ipvs', [web], [ep('10.0.0.2', 30002), ep('10.0.0.1', 30001)]).ipvs!;
    expect(planIpvs(current, desired)).toEqual({
      add: [`-a -f ${0x53001f90} -r 10.0.0.2:30002 -m -w 1`],
      remove: [`-d -f ${0x53001f90} -r 10.0.0.9:30009`, `-D -f ${0x530114e9}`],
    });
    expect(planIpvs(desired, desired)).toEqual({ add: [], remove: [] });
    expect(planIpvs([], desired).add).toEqual([`-A -f ${0x53001f90} -s rr`, `-a -f ${0x53001f90} -r 10.0.0.1:30001 -m -w 1`, `-a -f ${0x53001f90} -r 10.0.0.2:30002 -m -w 1`]);
    expect(planIpvs([{ ...desired[0]!, scheduler: 'wlc' }], desired).add).toEqual([`-E -f ${0x53001f90} -s rr`]);
  });
});

describe('backend choice', () => {
  const yes = { ok: true, why: '' };
  const noIpvs = { ok: false, why: "ipvsadm -L -n: Can't initialize ipvs: Protocol not available" };
  const noNft = { ok: false, why: 'nft list tables: Operation not permitted' };
  const table: [string, KernelSupport, string][] = [
    ['both', { ipvs: yes, nftables: yes }, 'ipvs'],
    ['no ipvs', { ipvs: noIpvs, nftables: yes }, 'nftables'],
    ['ipvs without nft', { ipvs: yes, nftables: noNft }, 'userspace'],
    ['nothing', { ipvs: noIpvs, nftables: noNft }, 'userspace'],
  ];
  for (const [name, s, want] of table) test(`auto, ${name} → ${want}`, () => expect(chooseBackend('auto', s).backend).toBe(want as 'ipvs'));

  test('explicit choice of a missing backend throws MESH_BACKEND_UNAVAILABLE with the reason', () => {
    expect(() => chooseBackend('ipvs', { ipvs: noIpvs, nftables: yes })).toThrow(/Protocol not available/);
    try {
      chooseBackend('nftables', { ipvs: noIpvs, nftables: noNft });
    } catch (e) {
      expect((e as MeshError).code).toBe('MESH_BACKEND_UNAVAILABLE');
    }
    expect(chooseBackend('userspace', { ipvs: noIpvs, nftables: noNft }).backend).toBe('userspace');
  });

  test('probe reads the exact IPVS-missing symptom; auto logs the fallback once', async () => {
    const runner = new RecordingRunner((argv) => (argv[0] === 'ipvsadm' ? { code: 2, stdout: '', stderr: NO_IPVS } : { code: 0, stdout: '', stderr: '' }));
    const support = await probeKernel(runner);
    expect(support.ipvs).toEqual({ ok: false, why: "ipvsadm -L -n: Can't initialize ipvs: Protocol not available" });
    expect(support.nftables.ok).toBe(true);
    const lines: string[] = [];
    const logger: Logger = { info: (_o, m) => lines.push(`info ${m}`), warn: (_o, m) => lines.push(`warn ${m}`), error: (_o, m) => lines.push(`error ${m}`) };
    const mesh = await createMesh({ runner, logger, makeBackends: () => [new FakeBackend()] });
    expect(mesh.backendName).toBe('nftables');
    expect(lines).toEqual(["warn routing mesh backend: nftables (IPVS unavailable (ipvsadm -L -n: Can't initialize ipvs: Protocol not available); using nftables)"]);
    await mesh.update([web], [ep('10.0.0.1', 1)]);
    expect(lines.length).toBe(1);
  });
});

describe('kernel backends generate the expected commands', () => {
  test('nftables: sysctls, forward accept, one nft -f transaction; clear deletes only what is ours', async () => {
    // A kernel where our FORWARD rule is missing at first, and present once after insertion.
    let present = 0;
    const runner = new RecordingRunner((argv) => {
      if (argv[0] !== 'iptables') return { code: 0, stdout: '', stderr: '' };
      if (argv[2] === '-C') return { code: present > 0 ? 0 : 1, stdout: '', stderr: '' };
      if (argv[2] === '-I') present++;
      if (argv[2] === '-D') return present > 0 ? (present--, { code: 0, stdout: '', stderr: '' }) : { code: 1, stdout: '', stderr: 'Bad rule' };
      return { code: 0, stdout: '', stderr: '' };
    });
    const b = new NftablesBackend(runner, opts);
    const r = renderRuleset('nftables', [web], [ep('10.0.0.1', 30001)]);
    const spec = ['-m', 'connmark', '--mark', '0x00100000/0x00100000', '-m', 'comment', '--comment', 'swarm-mesh', '-j', 'ACCEPT'];
    await b.apply(r);
    await b.apply(renderRuleset('nftables', [web], [ep('10.0.0.2', 30002)])); // sysctls/forward unchanged: skipped
    await b.clear();
    expect(runner.commands.map((c) => c.argv)).toEqual([
      ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
      ['iptables', '-w', '-C', 'FORWARD', ...spec],
      ['iptables', '-w', '-I', 'FORWARD', '1', ...spec],
      ['nft', '-f', '-'],
      ['nft', '-f', '-'],
      ['nft', '-f', '-'],
      ['iptables', '-w', '-D', 'FORWARD', ...spec],
      ['iptables', '-w', '-D', 'FORWARD', ...spec],
    ]);
    expect(runner.commands[3]!.stdin).toBe(r.nft!);
    expect(runner.commands[5]!.stdin).toBe('table ip swarm_mesh\ndelete table ip swarm_mesh\n');
    expect(present).toBe(0);
  });

  test('nftables: a failing nft surfaces as MESH_APPLY_FAILED with its stderr', async () => {
    const b = new NftablesBackend(new RecordingRunner((argv) => (argv[0] === 'nft' ? { code: 1, stdout: '', stderr: 'Error: syntax error' } : { code: 0, stdout: '', stderr: '' })), opts);
    const err = await b.apply(renderRuleset('nftables', [web], [])).catch((e) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect(err.code).toBe('MESH_APPLY_FAILED');
    expect(err.message).toContain('Error: syntax error');
  });

  test('ipvs: reads current state, adds, swaps nft, removes stale; replayable as a shell script', async () => {
    const stale = `-A -f ${0x53001f90} -s rr\n-a -f ${0x53001f90} -r 10.0.0.9:1 -m -w 1\n`;
    const runner = new RecordingRunner((argv) => ({ code: 0, stdout: argv[0] === 'ipvsadm' ? stale : '', stderr: '' }));
    const b = new IpvsBackend(runner, opts);
    const r = renderRuleset('ipvs', [web], [ep('10.0.0.1', 30001)]);
    await b.apply(r);
    expect(runner.commands.map((c) => c.argv.slice(0, 4).join(' '))).toEqual([
      'sysctl -q -w net.ipv4.ip_forward=1',
      'sysctl -q -w net.ipv4.vs.conntrack=1',
      'iptables -w -C FORWARD',
      'ipvsadm -S -n',
      'ipvsadm -R',
      'nft -f -',
      'ipvsadm -R',
    ]);
    expect(runner.commands[4]!.stdin).toBe(`-a -f ${0x53001f90} -r 10.0.0.1:30001 -m -w 1\n`);
    expect(runner.commands[6]!.stdin).toBe(`-d -f ${0x53001f90} -r 10.0.0.9:1\n`);
    const script = toShellScript(runner.commands);
    expect(script).toContain(`ipvsadm -R <<'SWARM_EOF_4'\n-a -f ${0x53001f90} -r 10.0.0.1:30001 -m -w 1\nSWARM_EOF_4`);
  });
});

describe('leftovers of another backend are removed when the mesh starts', () => {
  const stale = `-A -f ${0x53001f90} -s rr\n-a -f ${0x53001f90} -r 10.0.0.9:1 -m -w 1\n-A -f 7 -s rr\n`;
  const answer = (argv: string[]) =>
    argv[0] === 'ipvsadm' && argv[1] === '-S' ? { code: 0, stdout: stale, stderr: '' } : argv[0] === 'iptables' ? { code: 1, stdout: '', stderr: '' } : { code: 0, stdout: '', stderr: '' };
  const yes = { ok: true, why: '' };

  test('userspace: the nft table, FORWARD rule and swarm IPVS services go', async () => {
    const runner = new RecordingRunner(answer);
    const mesh = await createMesh({ backend: 'userspace', runner, support: { ipvs: yes, nftables: yes } });
    expect(mesh.backendName).toBe('userspace');
    expect(runner.commands.map((c) => c.argv.slice(0, 3).join(' '))).toEqual(['nft -f -', 'ipvsadm -S -n', 'ipvsadm -R', 'iptables -w -D']);
    expect(runner.commands[2]!.stdin).toBe(`-D -f ${0x53001f90}\n`); // fwmark 7 is not ours
    await mesh.close();
  });

  test('nftables after IPVS: only the IPVS services go (the table is replaced by the first update)', async () => {
    const runner = new RecordingRunner(answer);
    const mesh = await createMesh({ backend: 'nftables', runner, support: { ipvs: yes, nftables: yes } });
    expect(runner.commands.map((c) => c.argv.join(' '))).toEqual(['ipvsadm -S -n', 'ipvsadm -R']);
    await mesh.close();
  });

  test('ipvs: nothing to remove up front', async () => {
    const runner = new RecordingRunner(answer);
    await createMesh({ backend: 'ipvs', runner, support: { ipvs: yes, nftables: yes } });
    expect(runner.commands).toEqual([]);
  });
});

describe('Mesh reconciler (fake backend)', () => {
  const support: KernelSupport = { ipvs: { ok: false, why: 'x' }, nftables: { ok: true, why: '' } };

  test('update applies, is idempotent, serialises, and close clears', async () => {
    const fake = new FakeBackend();
    const mesh = await createMesh({ support, makeBackends: () => [fake] });
    const p1 = mesh.update([web], [ep('10.0.0.1', 1)]);
    const p2 = mesh.update([web], [ep('10.0.0.1', 1), ep('10.0.0.2', 2)]);
    await Promise.all([p1, p2]);
    await mesh.update([web], [ep('10.0.0.2', 2), ep('10.0.0.1', 1)]); // same set, other order: no-op
    expect(fake.applied.length).toBe(2);
    expect(fake.current!.nft).toContain('mod 2');
    await mesh.close();
    expect(fake.current).toBeNull();
    expect(fake.clears).toBe(1);
    expect((await mesh.update([web], []).catch((e) => e)).code).toBe('MESH_CLOSED');
  });

  test('a burst of updates coalesces: the newest state wins, every caller resolves after it', async () => {
    const fake = new FakeBackend();
    const mesh = await createMesh({ support, makeBackends: () => [fake] });
    const calls = [1, 2, 3, 4, 5].map((n) => mesh.update([web], [ep(`10.0.0.${n}`, n)]));
    await Promise.all(calls);
    expect(fake.applied.length).toBeLessThanOrEqual(2); // the first one started at once, then the newest
    expect(fake.current!.nft).toContain('10.0.0.5 . 5');
    await mesh.close();
  });

  test('a failed apply is reported to its caller and does not block the next update', async () => {
    const fake = new FakeBackend();
    const mesh = await createMesh({ support, makeBackends: () => [fake] });
    await mesh.update([web], [ep('10.0.0.1', 1)]);
    fake.failNext = MeshError.applyFailed('nft', 'boom');
    expect((await mesh.update([web], [ep('10.0.0.2', 2)]).catch((e) => e)).code).toBe('MESH_APPLY_FAILED');
    expect(mesh.applied).toBeNull();
    // Same input as before the failure: re-applied, not skipped (the node may be half-way).
    await mesh.update([web], [ep('10.0.0.1', 1)]);
    expect(fake.applied.length).toBe(2);
    expect(mesh.applied).toEqual(fake.current);
    await mesh.close();
  });

  test('bad input rejects that call, before touching the backend', async () => {
    const fake = new FakeBackend();
    const mesh = await createMesh({ support, makeBackends: () => [fake] });
    expect((await mesh.update([{ ...web, publishedPort: 0 }], []).catch((e) => e)).code).toBe('MESH_INVALID_INPUT');
    expect(fake.applied.length).toBe(0);
    await mesh.close();
  });
});
