// Table-driven tests of the pure render, for every backend.
import { describe, expect, test } from 'bun:test';
import { defaultRenderOptions, MeshError, renderRuleset, type BackendName, type Endpoint, type PublishedService, type Ruleset } from '../../internal/mesh/index.ts';

const web: PublishedService = { serviceId: 'web', publishedPort: 8080, protocol: 'tcp' };
const dns: PublishedService = { serviceId: 'dns', publishedPort: 5353, protocol: 'udp' };
const idle: PublishedService = { serviceId: 'idle', publishedPort: 9090, protocol: 'tcp' };
const ep = (serviceId: string, nodeIp: string, hostPort: number): Endpoint => ({ serviceId, nodeIp, hostPort, targetPort: 80 });
const eps = [ep('web', '10.0.0.2', 30002), ep('web', '10.0.0.1', 30001), ep('web', '10.0.0.1', 30001), ep('dns', '10.0.0.3', 31000), ep('ghost', '10.0.0.9', 1)];

const GOLDEN_NFT = `table ip swarm_mesh
delete table ip swarm_mesh
table ip swarm_mesh {
\tmap svc_tcp_8080 {
\t\ttypeof numgen inc mod 2 : ip daddr . tcp dport
\t\telements = { 0 : 10.0.0.1 . 30001, 1 : 10.0.0.2 . 30002 }
\t}
\tchain services {
\t\tmeta l4proto tcp tcp dport 8080 ct mark set ct mark | 0x00100000 dnat ip to numgen inc mod 2 map @svc_tcp_8080
\t}
\tchain prerouting {
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tfib daddr type local jump services
\t}
\tchain output {
\t\ttype nat hook output priority -100; policy accept;
\t\tip daddr != 127.0.0.0/8 fib daddr type local jump services
\t}
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tct mark & 0x00100000 == 0x00100000 oifname != "lo" masquerade
\t}
}
`;

interface Case {
  name: string;
  backend: BackendName;
  services: PublishedService[];
  endpoints: Endpoint[];
  loopback?: 'userspace' | 'nft';
  check: (r: Ruleset) => void;
}

const cases: Case[] = [
  {
    name: 'nftables: one tcp service, golden text, duplicates removed, sorted, unknown service ignored',
    backend: 'nftables',
    services: [web],
    endpoints: eps,
    check: (r) => {
      expect(r.nft).toBe(GOLDEN_NFT);
      expect(r.ipvs).toBeNull();
      expect(r.forward.length).toBe(1);
      expect(r.sysctls).toEqual([{ key: 'net.ipv4.ip_forward', value: '1' }]);
      expect(r.proxies).toEqual([{ serviceId: 'web', protocol: 'tcp', bindIp: '127.0.0.1', port: 8080, targets: [{ ip: '10.0.0.1', port: 30001 }, { ip: '10.0.0.2', port: 30002 }] }]);
    },
  },
  {
    name: 'nftables: udp map uses udp dport; zero endpoints rejected with tcp reset, no map',
    backend: 'nftables',
    services: [dns, idle],
    endpoints: eps,
    check: (r) => {
      expect(r.nft).toContain('typeof numgen inc mod 1 : ip daddr . udp dport');
      expect(r.nft).toContain('meta l4proto udp udp dport 5353 ct mark set ct mark | 0x00100000 dnat ip to numgen inc mod 1 map @svc_udp_5353');
      expect(r.nft).toContain('type filter hook input priority filter; policy accept;\n\t\tmeta l4proto tcp tcp dport 9090 reject with tcp reset');
      expect(r.nft).not.toContain('svc_tcp_9090');
      expect(r.proxies.map((p) => p.port)).toEqual([5353]);
    },
  },
  {
    name: 'nftables with loopback nft: 127/8 DNAT chain and route_localnet, no proxies',
    backend: 'nftables',
    services: [web],
    endpoints: eps,
    loopback: 'nft',
    check: (r) => {
      expect(r.nft).toContain('ip daddr 127.0.0.0/8 jump loopback_services');
      expect(r.nft).toContain('chain loopback_services {');
      expect(r.sysctls).toContainEqual({ key: 'net.ipv4.conf.all.route_localnet', value: '1' });
      expect(r.proxies).toEqual([]);
    },
  },
  {
    name: 'nftables: no services still renders the (empty) table, replacing stale rules',
    backend: 'nftables',
    services: [],
    endpoints: eps,
    check: (r) => {
      expect(r.nft).toStartWith('table ip swarm_mesh\ndelete table ip swarm_mesh\ntable ip swarm_mesh {');
      expect(r.nft).not.toContain('jump services');
      expect(r.nft).not.toContain('map ');
    },
  },
  {
    name: 'ipvs: fwmark per protocol/port, masquerading reals, nft marks + masquerade, conntrack sysctl',
    backend: 'ipvs',
    services: [web, dns, idle],
    endpoints: eps,
    check: (r) => {
      expect(r.ipvs).toEqual([
        { fwmark: 0x53001f90, scheduler: 'rr', reals: [{ ip: '10.0.0.1', port: 30001 }, { ip: '10.0.0.2', port: 30002 }] },
        { fwmark: 0x530114e9, scheduler: 'rr', reals: [{ ip: '10.0.0.3', port: 31000 }] },
      ]);
      expect(r.nft).toContain('type filter hook prerouting priority mangle;');
      expect(r.nft).toContain('fib daddr type local meta l4proto tcp tcp dport 8080 meta mark set 0x53001f90 ct mark set ct mark | 0x00100000');
      expect(r.nft).toContain('type route hook output priority mangle;');
      expect(r.nft).toContain('ct mark & 0x00100000 == 0x00100000 oifname != "lo" masquerade');
      expect(r.forward).toEqual([['-m', 'connmark', '--mark', '0x00100000/0x00100000', '-m', 'comment', '--comment', 'swarm-mesh', '-j', 'ACCEPT']]);
      expect(r.nft).toContain('meta l4proto tcp tcp dport 9090 reject with tcp reset');
      expect(r.nft).not.toContain('dnat');
      expect(r.sysctls).toContainEqual({ key: 'net.ipv4.vs.conntrack', value: '1' });
      expect(r.proxies.map((p) => `${p.protocol}/${p.bindIp}/${p.port}`)).toEqual(['tcp/127.0.0.1/8080', 'udp/127.0.0.1/5353']);
    },
  },
  {
    name: 'ipvs with loopback nft: loopback DNAT maps beside the fwmark marks',
    backend: 'ipvs',
    services: [web],
    endpoints: eps,
    loopback: 'nft',
    check: (r) => {
      expect(r.nft).toContain('ip daddr 127.0.0.0/8 jump loopback_services');
      expect(r.nft).not.toContain('jump services');
      expect(r.proxies).toEqual([]);
    },
  },
  {
    name: 'userspace: 0.0.0.0 listeners for every service, empty ones kept (they refuse)',
    backend: 'userspace',
    services: [idle, web, dns],
    endpoints: eps,
    check: (r) => {
      expect(r.nft).toBeNull();
      expect(r.ipvs).toBeNull();
      expect(r.forward).toEqual([]);
      expect(r.sysctls).toEqual([]);
      expect(r.proxies.map((p) => [p.protocol, p.bindIp, p.port, p.targets.length])).toEqual([
        ['tcp', '0.0.0.0', 8080, 2],
        ['tcp', '0.0.0.0', 9090, 0],
        ['udp', '0.0.0.0', 5353, 1],
      ]);
    },
  },
];

describe('renderRuleset', () => {
  for (const c of cases) {
    test(c.name, () => {
      const opts = { ...defaultRenderOptions(), ...(c.loopback ? { loopback: c.loopback } : {}) };
      const r = renderRuleset(c.backend, c.services, c.endpoints, opts);
      expect(r.backend).toBe(c.backend);
      c.check(r);
      // Pure and deterministic: same input (in any order), same output.
      expect(renderRuleset(c.backend, [...c.services].reverse(), [...c.endpoints].reverse(), opts)).toEqual(r);
    });
  }

  const bad: [string, PublishedService[], Endpoint[]][] = [
    ['port 0', [{ ...web, publishedPort: 0 }], []],
    ['two services on one port', [web, { ...web, serviceId: 'other' }], []],
    ['bad protocol', [{ ...web, protocol: 'sctp' as 'tcp' }], []],
    ['non-IPv4 node address', [web], [ep('web', 'fe80::1', 1)]],
    ['host port out of range', [web], [ep('web', '10.0.0.1', 70000)]],
  ];
  for (const [name, s, e] of bad) {
    test(`rejects ${name} with MESH_INVALID_INPUT`, () => {
      for (const backend of ['nftables', 'ipvs', 'userspace'] as const) {
        try {
          renderRuleset(backend, s, e);
          throw new Error('render accepted bad input');
        } catch (err) {
          expect(err).toBeInstanceOf(MeshError);
          expect((err as MeshError).code).toBe('MESH_INVALID_INPUT');
        }
      }
    });
  }

  test('rejects bad options', () => {
    expect(() => renderRuleset('nftables', [web], [], { ...defaultRenderOptions(), fwmarkBase: 0x53000001 })).toThrow(MeshError);
    expect(() => renderRuleset('nftables', [web], [], { ...defaultRenderOptions(), connMark: 3 })).toThrow(MeshError);
    expect(() => renderRuleset('nftables', [web], [], { ...defaultRenderOptions(), tableName: 'x; flush ruleset' })).toThrow(MeshError);
  });

  test('local containers are DNAT targets without masquerade (the task sees the client address)', () => {
    const local: Endpoint = { serviceId: 'web', nodeIp: '172.17.0.3', hostPort: 80, targetPort: 80, local: true };
    for (const backend of ['nftables', 'ipvs'] as const) {
      const r = renderRuleset(backend, [web], [ep('web', '10.0.0.2', 30002), local]);
      expect(r.nft).toContain('ct mark & 0x00100000 == 0x00100000 ip daddr != { 172.17.0.3 } oifname != "lo" masquerade');
    }
    const nft = renderRuleset('nftables', [web], [ep('web', '10.0.0.2', 30002), local]).nft!;
    expect(nft).toContain('elements = { 0 : 10.0.0.2 . 30002, 1 : 172.17.0.3 . 80 }');
    // Without local targets, every mesh connection is masqueraded as before.
    expect(renderRuleset('nftables', [web], [ep('web', '10.0.0.2', 30002)]).nft).toContain('ct mark & 0x00100000 == 0x00100000 oifname != "lo" masquerade');
  });

  test('1000 endpoints render into one map, fast', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ep('web', `10.1.${i >> 8}.${i & 255}`, 30000 + (i % 100)));
    const r = renderRuleset('nftables', [web], many);
    expect(r.nft).toContain('typeof numgen inc mod 1000 :');
    expect(r.nft).toContain('999 : 10.1.3.231 . 30099');
  });
});
