// Userspace UDP proxy for one (bindIp, port). Each client address gets a session: its own upstream
// socket connected to one target picked round-robin, so replies go back to the right client.
//
// Contract: setTargets() only affects NEW sessions; a session keeps its target until it has been idle
// for sessionIdleMs. Zero targets closes the socket (the kernel answers ICMP port unreachable).

import dgram from 'node:dgram';
import type { Target } from './types.ts';

interface Session {
  upstream: dgram.Socket;
  lastSeenMs: number;
}

export class UdpProxy {
  private socket: dgram.Socket | null = null;
  private targets: Target[] = [];
  private next = 0;
  private readonly sessions = new Map<string, Session>();
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly bindIp: string,
    readonly port: number,
    private readonly sessionIdleMs: number = 30_000,
  ) {}

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The port actually bound (differs from `port` only when constructed with 0), or null if closed. */
  get boundPort(): number | null {
    return this.socket ? this.socket.address().port : null;
  }

  async setTargets(targets: Target[]): Promise<void> {
    this.targets = targets.slice();
    if (this.next >= this.targets.length) this.next = 0;
    if (targets.length > 0 && !this.socket) await this.bind();
    else if (targets.length === 0 && this.socket) this.closeSocket();
  }

  async close(): Promise<void> {
    this.targets = [];
    this.closeSocket();
    for (const s of this.sessions.values()) s.upstream.close();
    this.sessions.clear();
  }

  private bind(): Promise<void> {
    const sock = dgram.createSocket({ type: 'udp4' });
    this.socket = sock;
    sock.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.sessionIdleMs / 2));
    this.sweeper.unref?.();
    return new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: this.bindIp, port: this.port, exclusive: true }, () => {
        sock.off('error', reject);
        sock.on('error', () => {});
        resolve();
      });
    }).catch((e) => {
      this.closeSocket();
      throw e;
    });
  }

  private closeSocket(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    const s = this.socket;
    this.socket = null;
    s?.close();
  }

  private fromClient(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let session = this.sessions.get(key);
    if (!session) {
      if (this.targets.length === 0) return;
      const target = this.targets[this.next % this.targets.length]!;
      this.next = (this.next + 1) % this.targets.length;
      const upstream = dgram.createSocket({ type: 'udp4' });
      upstream.on('error', () => {});
      upstream.on('message', (reply) => {
        const s = this.sessions.get(key);
        if (s) s.lastSeenMs = Date.now();
        this.socket?.send(reply, rinfo.port, rinfo.address);
      });
      session = { upstream, lastSeenMs: Date.now() };
      this.sessions.set(key, session);
      const s = session;
      upstream.connect(target.port, target.ip, () => s.upstream.send(msg));
      return;
    }
    session.lastSeenMs = Date.now();
    try {
      session.upstream.send(msg);
    } catch {
      // Not connected yet: the first datagram is still in flight; drop this one (UDP semantics).
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, s] of this.sessions) {
      if (now - s.lastSeenMs > this.sessionIdleMs) {
        s.upstream.close();
        this.sessions.delete(k);
      }
    }
  }
}
