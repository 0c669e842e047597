// Userspace TCP proxy for one (bindIp, port): round-robin over its targets, on Bun's native sockets
// (the node:net compatibility layer with pipe() measured about half as fast).
//
// Contract: setTargets() only affects NEW connections; established ones keep their upstream until
// either side closes. With zero targets the listener is closed, so the kernel refuses at once (RST).
// A target that refuses a new connection is skipped and the next one tried (each at most once).
// Backpressure: when one side cannot take more, reading from the other side pauses until it drains.

import type { Socket, TCPSocketListener } from 'bun';
import type { Target } from './types.ts';

interface End {
  peer: Socket<End> | null;
  /** Bytes the peer could not take yet, to write to THIS socket on drain. */
  out: Uint8Array[];
  /** The peer ended: end this socket once `out` is flushed. */
  endAfterFlush: boolean;
  closed: boolean;
}

const newEnd = (): End => ({ peer: null, out: [], endAfterFlush: false, closed: false });

/** Writes what it can; queues the rest (copied: Bun reuses the read buffer) and pauses the source. */
function send(to: Socket<End>, from: Socket<End>, buf: Uint8Array): void {
  if (to.data.closed) return;
  if (to.data.out.length > 0) {
    to.data.out.push(buf.slice());
    from.pause();
    return;
  }
  const n = to.write(buf);
  if (n < buf.length) {
    to.data.out.push(buf.slice(Math.max(0, n)));
    from.pause();
  }
}

function flush(s: Socket<End>): void {
  while (s.data.out.length > 0) {
    const head = s.data.out[0]!;
    const n = s.write(head);
    if (n < head.length) {
      s.data.out[0] = head.subarray(Math.max(0, n));
      return;
    }
    s.data.out.shift();
  }
  if (s.data.endAfterFlush) s.end();
  else s.data.peer?.resume();
}

/** The peer of `s` is gone: end `s` once what we owe it is written. */
function peerEnded(s: Socket<End> | null): void {
  if (!s || s.data.closed) return;
  s.data.endAfterFlush = true;
  if (s.data.out.length === 0) s.end();
}

const relay = {
  data(s: Socket<End>, buf: Uint8Array) {
    const peer = s.data.peer;
    if (peer) send(peer, s, buf);
  },
  drain(s: Socket<End>) {
    flush(s);
  },
  end(s: Socket<End>) {
    peerEnded(s.data.peer);
  },
  close(s: Socket<End>) {
    s.data.closed = true;
    peerEnded(s.data.peer);
  },
  error(s: Socket<End>) {
    s.data.closed = true;
    peerEnded(s.data.peer);
  },
};

export class TcpProxy {
  private listener: TCPSocketListener<End> | null = null;
  private targets: Target[] = [];
  private next = 0;
  private live = 0;

  constructor(
    readonly bindIp: string,
    readonly port: number,
  ) {}

  get connections(): number {
    return this.live;
  }

  /** The port actually bound (differs from `port` only when constructed with 0), or null if closed. */
  get boundPort(): number | null {
    return this.listener?.port ?? null;
  }

  /** Replaces the targets; opens or closes the listener as needed. */
  async setTargets(targets: Target[]): Promise<void> {
    this.targets = targets.slice();
    if (this.next >= this.targets.length) this.next = 0;
    if (targets.length > 0 && !this.listener) this.listen();
    else if (targets.length === 0) this.closeListener();
  }

  /** Stops listening. Established connections are left to finish. */
  async close(): Promise<void> {
    this.targets = [];
    this.closeListener();
  }

  private listen(): void {
    // Throws synchronously (e.g. EADDRINUSE); the backend reports it.
    this.listener = Bun.listen<End>({
      hostname: this.bindIp,
      port: this.port,
      socket: {
        ...relay,
        open: (client) => {
          client.data = newEnd();
          client.pause();
          client.setNoDelay(true);
          this.live++;
          this.connectUpstream(client, this.targets.length);
        },
        close: (client) => {
          this.live--;
          relay.close(client);
        },
      },
    });
  }

  private closeListener(): void {
    // stop(false): stop accepting, leave established connections alone.
    this.listener?.stop(false);
    this.listener = null;
  }

  private pick(): Target | undefined {
    if (this.targets.length === 0) return undefined;
    const t = this.targets[this.next % this.targets.length];
    this.next = (this.next + 1) % this.targets.length;
    return t;
  }

  private connectUpstream(client: Socket<End>, attemptsLeft: number): void {
    const target = attemptsLeft > 0 ? this.pick() : undefined;
    if (!target) {
      client.terminate();
      return;
    }
    // The upstream knows its peer from the start: a server that speaks first is relayed at once.
    Bun.connect<End>({ hostname: target.ip, port: target.port, data: { ...newEnd(), peer: client }, socket: relay }).then(
      (up) => {
        if (client.data.closed) {
          up.end();
          return;
        }
        up.setNoDelay(true);
        client.data.peer = up;
        client.resume();
      },
      () => this.connectUpstream(client, attemptsLeft - 1),
    );
  }
}
