/**
 * Both ends of a multiplexed stream, with credit-based flow control: the reader grants `credit`
 * messages in STREAM_OPEN and tops it up with STREAM_CREDIT as its consumer pulls, so the reader
 * never buffers more than `credit` messages and a slow consumer slows the writer's `write()`.
 *
 * Messages opener → acceptor: OPEN, CANCEL, CREDIT. Acceptor → opener: DATA, END, ERROR.
 */
import { TransportError } from "./errors.ts";
import { Kind, type Message } from "./messages.ts";
import type { MessageStream, NodeId, StreamSink } from "./types.ts";

type Out = (m: Message) => void;

/** The opener's end. `push`/`finish` are called by the session; the consumer iterates. */
export class StreamReader implements MessageStream {
  private readonly queue: unknown[] = [];
  private done = false;
  private error: TransportError | undefined;
  private waiter: ((v: void) => void) | undefined;
  private consumed = 0;

  constructor(
    readonly peer: NodeId,
    readonly sid: number,
    private readonly credit: number,
    private readonly out: Out,
    private readonly onDone: () => void,
  ) {}

  /** Returns false if the writer overran its credit (a protocol violation). */
  push(body: unknown): boolean {
    if (this.done) return true; // cancelled locally; late data is expected and dropped
    if (this.queue.length >= this.credit) return false;
    this.queue.push(body);
    this.wake();
    return true;
  }

  /** Ends the stream: normally (no error) or with the error iteration will throw. */
  finish(error?: TransportError): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.onDone();
    this.wake();
  }

  cancel(): void {
    if (this.done) return;
    this.out({ k: Kind.StreamCancel, sid: this.sid });
    this.queue.length = 0;
    this.finish();
  }

  async next(): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (this.queue.length > 0) {
        const value = this.queue.shift();
        if (!this.done && ++this.consumed >= Math.ceil(this.credit / 2)) {
          this.out({ k: Kind.StreamCredit, sid: this.sid, n: this.consumed });
          this.consumed = 0;
        }
        return { value, done: false };
      }
      if (this.done) {
        if (this.error) throw this.error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return {
      next: () => this.next(),
      return: async () => {
        this.cancel();
        return { value: undefined, done: true };
      },
    };
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

interface PendingWrite {
  frame: Uint8Array;
  resolve: () => void;
  reject: (e: TransportError) => void;
}

/** The acceptor's end, handed to the StreamHandler. Data is encoded when written (so a body that is
 * not plain data rejects that write at once) and sent when the reader's credit allows. */
export class StreamWriter implements StreamSink {
  private readonly controller = new AbortController();
  private readonly pending: PendingWrite[] = [];
  private closedWith: TransportError | undefined;
  private last: Message | undefined;

  constructor(
    readonly from: NodeId,
    readonly sid: number,
    private credit: number,
    private readonly out: Out,
    /** Encodes a message into a frame; throws INVALID_ARGUMENT for a body that cannot be sent. */
    private readonly encode: (m: Message) => Uint8Array,
    /** Writes an encoded frame. */
    private readonly outFrame: (frame: Uint8Array) => void,
    private readonly onDone: () => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  write(body: unknown): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.last) return Promise.reject(new TransportError("INVALID_ARGUMENT", "write after end: the stream was already ended"));
    let frame: Uint8Array;
    try {
      frame = this.encode({ k: Kind.StreamData, sid: this.sid, body });
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.credit > 0 && this.pending.length === 0) {
      this.credit--;
      this.outFrame(frame);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.pending.push({ frame, resolve, reject }));
  }

  /** Called by the session on STREAM_CREDIT. */
  addCredit(n: number): void {
    this.credit += n;
    while (this.credit > 0 && this.pending.length > 0 && !this.closedWith) {
      const w = this.pending.shift()!;
      this.credit--;
      this.outFrame(w.frame);
      w.resolve();
    }
    if (this.last && this.pending.length === 0 && !this.closedWith) this.sendLast();
  }

  end(): void {
    this.finishWith({ k: Kind.StreamEnd, sid: this.sid });
  }

  fail(code: string, message: string): void {
    this.finishWith({ k: Kind.StreamError, sid: this.sid, code: "REMOTE_ERROR", message, remoteCode: code });
  }

  /** Sends `last` after any writes still waiting for credit; later writes reject. Idempotent. */
  private finishWith(last: Message): void {
    if (this.closedWith || this.last) return;
    this.last = last;
    if (this.pending.length === 0) this.sendLast();
  }

  private sendLast(): void {
    const last = this.last!;
    this.out(last);
    this.stop(new TransportError("INVALID_ARGUMENT", "write after end: the stream was already ended"), false);
  }

  /** The reader cancelled (STREAM_CANCEL) or the connection is gone. */
  abort(reason: TransportError): void {
    this.stop(reason, true);
  }

  private stop(reason: TransportError, abort: boolean): void {
    this.closedWith = reason;
    for (const w of this.pending.splice(0)) w.reject(reason);
    if (abort) this.controller.abort(reason);
    this.onDone();
  }
}
