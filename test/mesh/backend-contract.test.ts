// One contract, every Backend: the in-memory twin, the userspace backend and the nftables backend (in a
// throwaway network namespace) must all satisfy it, so the twin used by reconciler tests stays honest.
//   apply(r) installs r; apply(r) again is a no-op; apply(r2) replaces r; clear() removes everything;
//   clear() again is harmless; apply after clear works again.
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'bun';
import {
  FakeBackend,
  NftablesBackend,
  UserspaceBackend,
  defaultRenderOptions,
  renderRuleset,
  spawnRunner,
  type Backend,
  type BackendName,
  type CommandRunner,
} from '../../internal/mesh/index.ts';
import { canUseNetns } from './fixtures/netns-bed.ts';

const WEB = { serviceId: 'web', publishedPort: 0, protocol: 'tcp' as const };

interface Subject {
  name: string;
  backend: BackendName;
  make(): Backend;
  /** What is installed, as a comparable string ('' when nothing). */
  observe(b: Backend): Promise<string>;
  skip: string | null;
}

const ns = `mshct${process.pid}`;
const nsSkip = canUseNetns();
let nsCreated = false;
function nsRunner(): CommandRunner {
  if (!nsCreated) {
    spawnSync(['ip', 'netns', 'add', ns]);
    nsCreated = true;
  }
  const real = spawnRunner();
  return { run: (argv, stdin) => real.run(['ip', 'netns', 'exec', ns, ...argv], stdin) };
}
afterAll(() => {
  if (nsCreated) spawnSync(['ip', 'netns', 'del', ns]);
});

// Published port 0 is not valid input for render; pick a high fixed port per subject instead.
const port = (base: number) => ({ ...WEB, publishedPort: base });

const subjects: Subject[] = [
  {
    name: 'FakeBackend (twin)',
    backend: 'nftables',
    make: () => new FakeBackend(),
    observe: async (b) => ((b as FakeBackend).current?.nft ?? '').match(/svc_\w+|\d+\.\d+\.\d+\.\d+ \. \d+/g)?.join(' ') ?? '',
    skip: null,
  },
  {
    name: 'UserspaceBackend',
    backend: 'userspace',
    make: () => new UserspaceBackend(),
    observe: async (b) => (b as UserspaceBackend).describe().join(' '),
    skip: null,
  },
  {
    name: 'NftablesBackend (network namespace)',
    backend: 'nftables',
    make: () => new NftablesBackend(nsRunner(), { ...defaultRenderOptions(), forwardAccept: false }),
    observe: async () => {
      const r = spawnSync(['ip', 'netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'swarm_mesh'], { stdout: 'pipe', stderr: 'pipe' });
      return r.exitCode === 0 ? (r.stdout.toString().match(/svc_\w+|\d+\.\d+\.\d+\.\d+ \. \d+/g)?.join(' ') ?? '') : '';
    },
    skip: nsSkip,
  },
];

subjects.forEach((s, i) => {
  if (s.skip) console.warn(`SKIPPING backend contract for ${s.name}: ${s.skip}`);
  describe.skipIf(s.skip !== null)(`backend contract: ${s.name}`, () => {
    test('apply installs, is idempotent, replaces; clear removes and is idempotent; apply works again', async () => {
      const b = s.make();
      const p = 39000 + ((process.pid * 7 + i) % 1000); // a high port; userspace binds it on 0.0.0.0
      const r1 = renderRuleset(s.backend, [port(p)], [{ serviceId: 'web', nodeIp: '127.0.0.1', hostPort: 1, targetPort: 80 }]);
      const r2 = renderRuleset(s.backend, [port(p)], [{ serviceId: 'web', nodeIp: '127.0.0.2', hostPort: 2, targetPort: 80 }]);
      try {
        expect(await s.observe(b)).toBe('');
        await b.apply(r1);
        const one = await s.observe(b);
        expect(one).not.toBe('');
        await b.apply(r1);
        expect(await s.observe(b)).toBe(one);
        await b.apply(r2);
        const two = await s.observe(b);
        expect(two).not.toBe(one);
        await b.clear();
        expect(await s.observe(b)).toBe('');
        await b.clear();
        await b.apply(r2);
        expect(await s.observe(b)).toBe(two);
      } finally {
        await b.clear();
      }
    });
  });
});
