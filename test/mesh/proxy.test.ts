// Userspace proxies on 127.0.0.1 (no root needed): round robin, large transfers with backpressure,
// servers that speak first, refusal with zero targets, established connections surviving target
// changes, failover past a dead target, UDP sessions.
import { afterEach, describe, expect, test } from 'bun:test';
import dgram from 'node:dgram';
import net from 'node:net';
import { TcpProxy, UdpProxy } from '../../internal/mesh/index.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server on 127.0.0.1:0 that echoes (in order, honouring backpressure); `greet` writes its name first. */
function server(name: string, greet = false): { port: number } {
  const pump = (s: { data: { queue: Uint8Array[] }; write(b: Uint8Array): number }) => {
    while (s.data.queue.length > 0) {
      const head = s.data.queue[0]!;
      const n = Math.max(0, s.write(head));
      if (n < head.length) {
        s.data.queue[0] = head.subarray(n);
        return;
      }
      s.data.queue.shift();
    }
  };
  const l = Bun.listen<{ queue: Uint8Array[] }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(s) {
        s.data = { queue: [] };
        if (greet) s.write(`${name}\n`);
      },
      data(s, buf) {
        s.data.queue.push(buf.slice());
        pump(s);
      },
      drain: pump,
    },
  });
  cleanups.push(() => l.stop(true));
  return { port: l.port };
}

function deadPort(): number {
  const l = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** Connects, reads until `want` bytes arrived (or close), returns them. */
function exchange(port: number, payload: Uint8Array, want: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      if (payload.length) s.write(payload);
    });
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= want) {
        s.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function proxy(targets: number[]): Promise<TcpProxy> {
  const p = new TcpProxy('127.0.0.1', 0);
  await p.setTargets(targets.map((port) => ({ ip: '127.0.0.1', port })));
  cleanups.push(() => p.close());
  return p;
}

describe('TcpProxy', () => {
  test('round robin across targets; a server that speaks first is relayed', async () => {
    const a = server('a', true);
    const b = server('b', true);
    const p = await proxy([a.port, b.port]);
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await exchange(p.boundPort!, new Uint8Array(), 2)).toString().trim());
    expect(names).toEqual(['a', 'b', 'a', 'b']);
  });

  test('8 MB round trip is intact (backpressure both ways)', async () => {
    const e = server('e');
    const p = await proxy([e.port]);
    const payload = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 255;
    const back = await exchange(p.boundPort!, payload, payload.length);
    expect(back.length).toBe(payload.length);
    expect(Buffer.compare(back, Buffer.from(payload))).toBe(0);
  }, 30_000);

  test('zero targets refuses at once; targets again listens again', async () => {
    const a = server('a', true);
    const p = await proxy([a.port]);
    const port = p.boundPort!;
    await p.setTargets([]);
    expect(p.boundPort).toBeNull();
    const err = await exchange(port, new Uint8Array(), 1).catch((e) => e);
    expect(err.code).toBe('ECONNREFUSED');
    await p.setTargets([{ ip: '127.0.0.1', port: a.port }]);
    expect((await exchange(p.boundPort!, new Uint8Array(), 2)).toString().trim()).toBe('a');
  });

  test('changing targets keeps established connections; new ones go to the new targets', async () => {
    const a = server('a', true);
    const b = server('b', true);
    const p = await proxy([a.port]);
    const held = net.connect({ host: '127.0.0.1', port: p.boundPort! });
    cleanups.push(() => void held.destroy());
    const lines: string[] = [];
    held.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const until = async (n: number) => {
      const end = Date.now() + 5000;
      while (lines.length < n && Date.now() < end) await Bun.sleep(5);
    };
    await until(1);
    expect(lines).toEqual(['a']);
    await p.setTargets([{ ip: '127.0.0.1', port: b.port }]);
    held.write('still-here\n');
    await until(2);
    expect(lines).toEqual(['a', 'still-here']);
    expect((await exchange(p.boundPort!, new Uint8Array(), 2)).toString().trim()).toBe('b');
  });

  test('a dead target is skipped for the next one', async () => {
    const b = server('b', true);
    const p = await proxy([deadPort(), b.port]);
    for (let i = 0; i < 3; i++) expect((await exchange(p.boundPort!, new Uint8Array(), 2)).toString().trim()).toBe('b');
  });

  test('only dead targets: the client connection is closed, not left hanging', async () => {
    const p = await proxy([deadPort()]);
    const got = await exchange(p.boundPort!, new Uint8Array(), 1).catch((e) => e);
    expect(got instanceof Buffer ? got.length : got.code).toBeOneOf([0, 'ECONNRESET']);
  });
});

describe('UdpProxy', () => {
  function udpServer(name: string): Promise<number> {
    const s = dgram.createSocket('udp4');
    s.on('message', (m, r) => s.send(`${name}:${m}`, r.port, r.address));
    cleanups.push(() => {
      s.close();
    });
    return new Promise((res) => s.bind(0, '127.0.0.1', () => res(s.address().port)));
  }
  function ask(port: number, msg: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = dgram.createSocket('udp4');
      const t = setTimeout(() => (c.close(), reject(new Error('timeout'))), 3000);
      c.on('message', (m) => (clearTimeout(t), c.close(), resolve(m.toString())));
      c.send(msg, port, '127.0.0.1');
    });
  }

  test('sessions per client, round robin, replies reach the right client; zero targets unbinds', async () => {
    const a = await udpServer('a');
    const b = await udpServer('b');
    const p = new UdpProxy('127.0.0.1', 0);
    cleanups.push(() => p.close());
    await p.setTargets([{ ip: '127.0.0.1', port: a }, { ip: '127.0.0.1', port: b }]);
    const port = p.boundPort!;
    const replies = await Promise.all([ask(port, 'x'), ask(port, 'y')]);
    expect(replies[0]!.endsWith(':x') && replies[1]!.endsWith(':y')).toBe(true);
    expect(new Set(replies.map((r) => r[0]))).toEqual(new Set(['a', 'b']));
    expect(p.sessionCount).toBe(2);
    await p.setTargets([]);
    expect(p.boundPort).toBeNull();
  });
});
