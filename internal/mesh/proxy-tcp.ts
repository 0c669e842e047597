// Userspace TCP proxy for one (bindIp, port): round-robin over its targets.
//
// Contract: setTargets() only affects NEW connections; established ones keep their upstream until
// either side closes. With zero targets the listener is closed, so the kernel refuses at once (RST).
// A target that refuses a new connection is skipped and the next one tried (each at most once).

import net from 'node:net';
import type { Target } from './types.ts';

export class TcpProxy {
  private server: net.Server | null = null;
  private targets: Target[] = [];
  private next = 0;
  private readonly conns = new Set<net.Socket>();

  constructor(
    readonly bindIp: string,
    readonly port: number,
  ) {}

  get connections(): number {
    return this.conns.size;
  }

  /** Replaces the targets; opens or closes the listener as needed. Resolves once listening/closed. */
  async setTargets(targets: Target[]): Promise<void> {
    this.targets = targets.slice();
    if (this.next >= this.targets.length) this.next = 0;
    if (targets.length > 0 && !this.server) await this.listen();
    else if (targets.length === 0 && this.server) await this.closeListener();
  }

  /** Stops listening and ends every proxied connection. */
  async close(): Promise<void> {
    this.targets = [];
    await this.closeListener();
    for (const c of this.conns) c.destroy();
    this.conns.clear();
  }

  private listen(): Promise<void> {
    const server = net.createServer({ pauseOnConnect: true }, (client) => this.accept(client));
    this.server = server;
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.bindIp, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', () => {}); // listener errors after bind are per-connection noise
        resolve();
      });
    }).catch((e) => {
      this.server = null;
      throw e;
    });
  }

  private closeListener(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return Promise.resolve();
    // close() stops listening at once; its callback would wait for every established connection to
    // end, which must not block an update, so do not wait for it. Established connections live on.
    s.close();
    return Promise.resolve();
  }

  private pick(): Target | undefined {
    if (this.targets.length === 0) return undefined;
    const t = this.targets[this.next % this.targets.length];
    this.next = (this.next + 1) % this.targets.length;
    return t;
  }

  private accept(client: net.Socket): void {
    this.conns.add(client);
    client.on('close', () => this.conns.delete(client));
    client.on('error', () => client.destroy());
    this.connectUpstream(client, this.targets.length);
  }

  private connectUpstream(client: net.Socket, attemptsLeft: number): void {
    const target = attemptsLeft > 0 ? this.pick() : undefined;
    if (!target || client.destroyed) {
      client.resetAndDestroy();
      return;
    }
    const up = net.connect({ host: target.ip, port: target.port, noDelay: true });
    let connected = false;
    up.on('connect', () => {
      connected = true;
      client.setNoDelay(true);
      client.pipe(up);
      up.pipe(client);
      client.resume();
    });
    up.on('error', () => {
      if (!connected) this.connectUpstream(client, attemptsLeft - 1);
      else client.destroy();
    });
    up.on('close', () => {
      if (connected && !client.destroyed) client.end();
    });
    client.on('close', () => up.destroy());
  }
}
