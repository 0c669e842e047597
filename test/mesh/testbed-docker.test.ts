// The mesh on the project's multi-host test bed (test/testbed): 3 hosts, each with its own Docker engine;
// the endpoints are real containers published with `docker run -p`, as the agent will do. Checks the
// interplay with Docker's own NAT and filter rules in each host, for the nftables and userspace
// backends. Churn, UDP and restarts are covered by nftables.test.ts / userspace.test.ts (lighter bed).
// Budget: ~10-20 s (bed up/down + two backends).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Endpoint, PublishedService } from '../../internal/mesh/index.ts';
import { BUSYBOX_IMAGE_REF, Testbed, unsupportedReason } from '../testbed/index.ts';
import { Agent } from './fixtures/netns-bed.ts';

const AGENT = join(import.meta.dir, 'fixtures', 'host-agent.ts');
const WEB: PublishedService = { serviceId: 'web', publishedPort: 8080, protocol: 'tcp' };

interface Result {
  ok: boolean;
  body?: string;
  error?: string;
  ms: number;
}

const why = unsupportedReason();
if (why) console.warn(`SKIPPING mesh test-bed tests: ${why}`);

describe.skipIf(why !== null)('routing mesh on the Docker test bed', () => {
  let bed: Testbed;
  let agents: Agent[] = [];
  let client: Agent;
  const all: Agent[] = [];
  const start = (argv: string[], name: string) => {
    const a = new Agent(name, Bun.spawn(argv, { stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' }));
    all.push(a);
    return a;
  };
  const endpoints = (): Endpoint[] => [
    { serviceId: 'web', nodeIp: bed.hosts[0]!.ip, hostPort: 18081, targetPort: 80 },
    { serviceId: 'web', nodeIp: bed.hosts[1]!.ip, hostPort: 18082, targetPort: 80 },
  ];
  const get = async (a: Agent, ip: string, count: number): Promise<Result[]> => (await a.call('get', { ip, port: 8080, count })).results;

  beforeAll(async () => {
    bed = await Testbed.up({ name: 'mesh', hosts: 3 });
    for (const [i, name] of [[0, 'a1'], [1, 'a2']] as const) {
      await bed.hosts[i]!.dockerOk([
        'run', '-d', '--name', name, '--stop-timeout', '1', '-p', `1808${i + 1}:80`, BUSYBOX_IMAGE_REF,
        'sh', '-c', `mkdir -p /w && echo -n ${name} > /w/index.html && exec httpd -f -p 80 -h /w`,
      ]);
    }
    agents = bed.hosts.map((h) => start(h.argv([process.execPath, AGENT]), h.name));
    client = start(bed.client.argv([process.execPath, AGENT]), 'client');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(all.map((a) => a.stop()));
    await bed?.down();
  }, 60_000);

  for (const backend of ['nftables', 'userspace'] as const) {
    test(`${backend}: every host, the client and a container reach both containers; shares; zero endpoints refuse; close cleans`, async () => {
      await Promise.all(agents.map((a) => a.call('mesh', { backend })));
      await Promise.all(agents.map((a) => a.call('update', { services: [WEB], endpoints: endpoints() })));

      const jobs: Promise<Result[]>[] = [];
      bed.hosts.forEach((h, i) => {
        for (const ip of ['127.0.0.1', h.ip, bed.hosts[(i + 1) % 3]!.ip]) jobs.push(get(agents[i]!, ip, 4));
      });
      for (const h of bed.hosts) jobs.push(get(client, h.ip, 8));
      const results = (await Promise.all(jobs)).flat();
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const tally: Record<string, number> = {};
      for (const r of results) tally[r.body!] = (tally[r.body!] ?? 0) + 1;
      expect(Object.keys(tally).sort()).toEqual(['a1', 'a2']);
      expect(Math.min(tally.a1!, tally.a2!)).toBeGreaterThanOrEqual(results.length / 4);

      // From inside a container (through docker0): its own node's address and another node's.
      for (const ip of [bed.hosts[0]!.ip, bed.hosts[2]!.ip]) {
        const body = await bed.hosts[0]!.dockerOk(['exec', 'a1', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${ip}:8080/`]);
        expect(['a1', 'a2']).toContain(body.trim());
      }

      await Promise.all(agents.map((a) => a.call('update', { services: [WEB], endpoints: [] })));
      for (const r of [...(await get(client, bed.hosts[2]!.ip, 1)), ...(await get(agents[0]!, '127.0.0.1', 1))]) {
        expect(r.ok).toBe(false);
        expect(['ECONNREFUSED', 'ECONNRESET']).toContain(r.error!);
        expect(r.ms).toBeLessThan(1000);
      }

      await Promise.all(agents.map((a) => a.call('close')));
      for (const h of bed.hosts) {
        expect((await h.execOk(['nft', 'list', 'tables']))).not.toContain('swarm_mesh');
        expect((await h.execOk(['iptables', '-w', '-S', 'FORWARD']))).not.toContain('swarm-mesh');
      }
    }, 60_000);
  }
});
