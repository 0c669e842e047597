// The multi-host mesh scenario, shared by every backend's test file: 3 hosts, endpoints on 2 of them,
// requests from every host and a client, shares, churn under load, zero endpoints, restart, close.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Endpoint, PublishedService } from '../../internal/mesh/index.ts';
import { canUseNetns, createNetnsBed, type NetnsBed } from './fixtures/netns-bed.ts';
import { waitUntil } from '../harness/wait.ts';

const WEB: PublishedService = { serviceId: 'web', publishedPort: 8080, protocol: 'tcp' };
const DNS: PublishedService = { serviceId: 'dns', publishedPort: 8053, protocol: 'udp' };

const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, deadlineMs = 10_000): Promise<T> =>
  waitUntil(what, probe, deadlineMs, 20);

interface Result {
  ok: boolean;
  body?: string;
  error?: string;
  ms: number;
}

export function meshScenario(backend: 'nftables' | 'userspace', net: number): void {
  const skip = canUseNetns();
  if (skip) console.warn(`SKIPPING mesh ${backend} multi-host tests: ${skip}`);

  describe.skipIf(skip !== null)(`routing mesh, ${backend} backend, 3 hosts`, () => {
    let bed: NetnsBed;
    const ends: Record<string, { host: number; port: number }> = { a1: { host: 0, port: 18081 }, a2: { host: 1, port: 18082 }, a3: { host: 2, port: 18083 } };
    const endpoint = (name: string, serviceId = 'web'): Endpoint => ({ serviceId, nodeIp: bed.hosts[ends[name]!.host]!.ip, hostPort: ends[name]!.port, targetPort: 80 });
    const updateAll = (endpoints: Endpoint[]) => Promise.all(bed.agents.map((a) => a.call('update', { services: [WEB, DNS], endpoints })));
    const get = async (from: number | 'client', ip: string, count: number, protocol = 'tcp', port?: number): Promise<Result[]> => {
      const agent = from === 'client' ? bed.clientAgent : bed.agents[from]!;
      return (await agent.call('get', { ip, port: port ?? (protocol === 'udp' ? DNS.publishedPort : WEB.publishedPort), count, protocol })).results;
    };
    const tally = (rs: Result[]) => {
      const c: Record<string, number> = {};
      for (const r of rs) c[r.ok ? r.body! : `error:${r.error}`] = (c[`${r.ok ? r.body : `error:${r.error}`}`] ?? 0) + 1;
      return c;
    };

    beforeAll(async () => {
      bed = createNetnsBed(3, net);
      for (const [name, e] of Object.entries(ends).slice(0, 2)) {
        await bed.agents[e.host]!.call('serve', { name, ip: bed.hosts[e.host]!.ip, port: e.port });
      }
      // h2 serves 127.0.0.1 with nft DNAT (route_localnet opt-in), the others with the loopback proxy.
      const names = await Promise.all(bed.agents.map((a, i) => a.call('mesh', { backend, loopback: i === 1 ? 'nft' : 'userspace' })));
      expect(names.map((n) => n.backendName)).toEqual([backend, backend, backend]);
      await updateAll([endpoint('a1'), endpoint('a2'), endpoint('a1', 'dns'), endpoint('a2', 'dns')]);
    }, 30_000);
    afterAll(async () => {
      await bed?.destroy();
    }, 30_000);

    test('every host answers on 127.0.0.1, its own IP and another host IP; the client on every host IP', async () => {
      const jobs: Promise<Result[]>[] = [];
      bed.hosts.forEach((h, i) => {
        for (const ip of ['127.0.0.1', h.ip, bed.hosts[(i + 1) % 3]!.ip]) jobs.push(get(i, ip, 4));
      });
      for (const h of bed.hosts) jobs.push(get('client', h.ip, 4));
      const all = (await Promise.all(jobs)).flat();
      expect(all.filter((r) => !r.ok)).toEqual([]);
      expect(new Set(all.map((r) => r.body))).toEqual(new Set(['a1', 'a2']));
    }, 30_000);

    test('each endpoint gets its share of new connections', async () => {
      for (const h of bed.hosts) {
        const t = tally(await get('client', h.ip, 8));
        expect(Object.keys(t).sort()).toEqual(['a1', 'a2']);
        expect(t.a1!).toBeGreaterThanOrEqual(3);
        expect(t.a2!).toBeGreaterThanOrEqual(3);
      }
    }, 30_000);

    test('UDP is balanced too, from the client and from a host', async () => {
      const t = tally([...(await get('client', bed.hosts[2]!.ip, 6, 'udp')), ...(await get(0, bed.hosts[1]!.ip, 2, 'udp'))]);
      expect(Object.keys(t).sort()).toEqual(['a1', 'a2']);
    }, 30_000);

    test('endpoint churn under a steady request loop loses no new connection and keeps established ones', async () => {
      const target = bed.hosts[2]!.ip; // h3 has no endpoint of its own at first: every request crosses nodes
      await bed.clientAgent.call('hold', { holdId: 1, ip: target, port: WEB.publishedPort });
      const first = (await bed.clientAgent.call('holdAsk', { holdId: 1 })).result as Result;
      expect(first.ok).toBe(true);
      const kept = first.body!;
      const other = kept === 'a1' ? 'a2' : 'a1';
      await bed.clientAgent.call('loopStart', { loopId: 1, ip: target, port: WEB.publishedPort, max: 50_000 });
      const stats = () => bed.clientAgent.call('loopStats', { loopId: 1 });

      // Add a task on h3.
      await bed.agents[2]!.call('serve', { name: 'a3', ip: bed.hosts[2]!.ip, port: ends.a3!.port });
      await updateAll([endpoint('a1'), endpoint('a2'), endpoint('a3')]);
      await waitFor('a3 to get traffic', async () => ((await stats()).counts.a3 ?? 0) > 5);

      // Remove the task the held connection is NOT on: first from the mesh, then stop it.
      await updateAll([endpoint(kept), endpoint('a3')]);
      const atRemoval = await stats();
      await waitFor('traffic after removal', async () => (await stats()).passed >= atRemoval.passed + 20);
      const beforeStop = await stats();
      await bed.agents[ends[other]!.host]!.call('unserve', { name: other });
      await waitFor('traffic after stop', async () => (await stats()).passed >= beforeStop.passed + 20);
      const end = await bed.clientAgent.call('loopStats', { loopId: 1, stop: true });

      expect({ failed: end.failed, errors: end.errors }).toEqual({ failed: 0, errors: [] });
      expect(end.counts[other]).toBe(beforeStop.counts[other]); // nothing new went to the removed task
      expect(end.passed).toBeGreaterThanOrEqual(46); // ≥ 6 (a3 seen) + 20 + 20 by construction
      const again = (await bed.clientAgent.call('holdAsk', { holdId: 1 })).result as Result;
      expect(again).toEqual({ ok: true, body: kept, ms: 0 });
      // restore the removed task for later tests
      const e = ends[other]!;
      await bed.agents[e.host]!.call('serve', { name: other, ip: bed.hosts[e.host]!.ip, port: e.port });
    }, 30_000);

    test('zero endpoints refuses at once (no hang), on host IPs and on 127.0.0.1', async () => {
      await updateAll([]);
      const rs = [...(await get('client', bed.hosts[0]!.ip, 1)), ...(await get(2, '127.0.0.1', 1)), ...(await get(1, '127.0.0.1', 1)), ...(await get(1, bed.hosts[0]!.ip, 1))];
      for (const r of rs) {
        expect(r.ok).toBe(false);
        expect(['ECONNREFUSED', 'ECONNRESET']).toContain(r.error!);
        expect(r.ms).toBeLessThan(1000);
      }
    }, 30_000);

    test('a restarted agent replaces the rules a crashed one left; close removes everything', async () => {
      await updateAll([endpoint('a1'), endpoint('a2')]);
      const fresh = await bed.restartAgent(0); // SIGKILL: no cleanup
      await fresh.call('mesh', { backend });
      await fresh.call('update', { services: [WEB, DNS], endpoints: [endpoint('a2')] });
      expect(new Set((await get('client', bed.hosts[0]!.ip, 4)).map((r) => r.body))).toEqual(new Set(['a2']));
      if (backend === 'nftables') {
        const table = bed.exec(bed.hosts[0]!.ns, ['nft', 'list', 'table', 'ip', 'swarm_mesh']);
        expect(table).toContain(`${bed.hosts[1]!.ip} . 18082`);
        expect(table).not.toContain(`${bed.hosts[0]!.ip} . 18081`);
      }
      await Promise.all(bed.agents.map((a) => a.call('close')));
      for (const h of bed.hosts) {
        expect(bed.exec(h.ns, ['nft', 'list', 'tables'])).not.toContain('swarm_mesh');
        expect(bed.exec(h.ns, ['iptables', '-w', '-S', 'FORWARD'])).not.toContain('swarm-mesh');
        const r = (await get(0, h.ip, 1))[0]!;
        expect(r.ok).toBe(false);
      }
      expect((await get(0, '127.0.0.1', 1))[0]!.error).toBe('ECONNREFUSED');
    }, 30_000);
  });
}
