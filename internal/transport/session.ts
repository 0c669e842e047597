/**
 * One connection to one peer: the admission handshake, then request/response, one-way messages and
 * streams multiplexed over a Link. Created by the core for every link an adapter produces.
 *
 * Contract: `host.opened(session)` is called at most once, when both sides have admitted each other;
 * `host.closed(session, reason)` exactly once, whatever happens. A decode error, a message out of
 * order or a silent peer closes this connection with a logged reason and touches nothing else;
 * no exception from a frame or a handler escapes to the process.
 */
import { checkProof, makeProof, nodeIdOf, type AdmissionPolicy, type JoinSecret, type PeerClass, type SignedCertificate } from "./admission.ts";
import { TransportError, short } from "./errors.ts";
import { FrameDecoder, encodeFrame } from "./frame.ts";
import { clip, type LogLimiter } from "./log-limit.ts";
import { Buckets } from "./rate.ts";
import { Kind, decodeMessage, encodeMessage, peekCall, type HelloProof, type Message } from "./messages.ts";
import { StreamReader, StreamWriter } from "./stream.ts";
import type { Handler, Link, Logger, NodeId, PeerInfo, StreamHandler } from "./types.ts";

/** A registered channel: its handler and who may use it (checked here, before the handler runs). */
export interface Channel<H> {
  handler: H;
  accept: ReadonlySet<PeerClass>;
  maxBytes: number;
}

export interface SessionHost {
  readonly policy: AdmissionPolicy;
  readonly log: Logger;
  /** For warnings a peer can trigger at will. */
  readonly limited: LogLimiter;
  readonly handshakeTimeoutMs: number;
  /** Frame limit before admission. */
  readonly preAdmissionFrameBytes: number;
  /** Frame limit once admitted as `cls`. */
  frameLimitFor(cls: PeerClass): number;
  isRevoked(id: NodeId): boolean;
  channel(name: string): Channel<Handler> | undefined;
  streamChannel(name: string): Channel<StreamHandler> | undefined;
  sessionOpened(s: Session): void;
  sessionClosed(s: Session, reason: string): void;
  /** The peer refused our admission proof (a joiner with a wrong or rotated token learns it here). */
  refusedBy(peer: NodeId, reason: string): void;
  /** An open session's peer presented a new, valid proof: `info` changed (class, certificate). */
  sessionReadmitted(s: Session): void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: TransportError) => void;
  timer: ReturnType<typeof setTimeout>;
}

type State = "handshaking" | "open" | "closed";

export class Session {
  readonly peer: NodeId;
  private state: State = "handshaking";
  private readonly decoder: FrameDecoder;
  private admitted: Extract<ReturnType<typeof checkProof>, { ok: true }> | undefined;
  private welcomed = false;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly readers = new Map<number, StreamReader>();
  private readonly writers = new Map<number, StreamWriter>();
  /** Refused calls (FORBIDDEN, TOO_LARGE) allowed: a burst of 64, then 16/s. */
  private readonly refusalBudget = new Buckets({ burst: 64, perSecond: 16 });
  info: PeerInfo | undefined;

  constructor(
    private readonly link: Link,
    private readonly host: SessionHost,
  ) {
    this.peer = nodeIdOf(link.remoteKey);
    // Once open, a large call its channel refuses is answered from its first bytes and dropped.
    this.decoder = new FrameDecoder(host.preAdmissionFrameBytes, (len, head) => this.state === "open" && this.refusedUndecoded(head, len));
  }

  /** Starts the handshake. Call once. */
  start(): void {
    this.link.attach({ data: (c) => this.onData(c), close: (r) => this.onLinkClosed(r) });
    if (this.state === "closed") return;
    this.handshakeTimer = setTimeout(() => {
      const reason = `no admission handshake within ${this.host.handshakeTimeoutMs} ms`;
      this.host.limited.warn({ peer: short(this.peer), reason }, "closing connection: silent peer");
      this.close(reason);
    }, this.host.handshakeTimeoutMs);
    let proof;
    try {
      proof = makeProof(this.host.policy, this.link.localKey, this.link.remoteKey);
    } catch (e) {
      this.close((e as Error).message);
      return;
    }
    this.write({ k: Kind.Hello, proof });
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** The certificate this peer presented (members only). */
  get signedCertificate(): SignedCertificate | undefined {
    return this.admitted?.signed;
  }

  /** The join secret this peer proved (joiners only): a rotated-out secret closes the session. */
  get joinSecret(): JoinSecret | undefined {
    return this.admitted?.joinSecret;
  }

  /** False when not open. Throws INVALID_ARGUMENT when the body is not plain data. */
  send(channel: string, body: unknown): boolean {
    if (this.state !== "open") return false;
    return this.write({ k: Kind.Send, channel, body });
  }

  request(channel: string, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.state !== "open") return Promise.reject(TransportError.peerGone(this.peer, `request "${channel}"`));
    const id = this.nextId++;
    let frame: Uint8Array;
    try {
      frame = encodeFrame(encodeMessage({ k: Kind.Request, id, channel, body }));
    } catch (e) {
      return Promise.reject(TransportError.invalid(`request "${channel}": ${(e as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(TransportError.timeout(`request "${channel}" to ${short(this.peer)}`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.link.write(frame);
    });
  }

  openStream(channel: string, body: unknown, credit: number): StreamReader {
    const sid = this.nextId++;
    const reader = new StreamReader(this.peer, sid, credit, (m) => this.write(m), () => this.readers.delete(sid));
    if (this.state !== "open") {
      reader.finish(TransportError.peerGone(this.peer, `stream "${channel}"`));
      return reader;
    }
    let frame: Uint8Array;
    try {
      frame = encodeFrame(encodeMessage({ k: Kind.StreamOpen, sid, channel, body, credit }));
    } catch (e) {
      reader.finish(TransportError.invalid(`stream "${channel}": ${(e as Error).message}`));
      return reader;
    }
    this.readers.set(sid, reader);
    this.link.write(frame);
    return reader;
  }

  /** Closes the link; idempotent. Pending requests and streams fail with PEER_GONE. */
  close(reason: string, flush = false): void {
    if (this.state === "closed") return;
    this.link.close(reason, flush); // the link calls onLinkClosed synchronously or later; both are handled
    this.onLinkClosed(reason);
  }

  private onLinkClosed(reason: string): void {
    if (this.state === "closed") return;
    const was = this.state;
    this.state = "closed";
    clearTimeout(this.handshakeTimer);
    this.host.log.debug({ peer: short(this.peer), reason, was }, "connection closed");
    const gone = TransportError.peerGone(this.peer, `connection closed (${reason})`);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(gone);
    }
    this.pending.clear();
    for (const r of [...this.readers.values()]) r.finish(gone);
    for (const w of [...this.writers.values()]) w.abort(gone);
    this.host.sessionClosed(this, reason);
  }

  /** Encodes and writes; throws INVALID_ARGUMENT when the message is not plain data. */
  private write(m: Message): boolean {
    if (this.state === "closed") return false;
    return this.writeFrame(encodeFrame(encodeMessage(m)));
  }

  private writeFrame(frame: Uint8Array): boolean {
    if (this.state === "closed") return false;
    this.link.write(frame);
    return true;
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === "closed") return;
    try {
      for (const payload of this.decoder.push(chunk)) {
        if ((this.state as State) === "closed") return; // refused calls may have closed us
        if (this.state === "open" && this.refusedUndecoded(payload)) continue;
        this.onMessage(decodeMessage(payload), payload.length);
        if ((this.state as State) === "closed") return; // a message may have closed us
      }
    } catch (e) {
      const reason = clip(e instanceof TransportError ? e.message : `internal error: ${(e as Error).message}`);
      this.host.limited.warn({ peer: short(this.peer), reason }, "closing connection: bad frame");
      this.close(reason);
    }
  }

  private onMessage(m: Message, bytes: number): void {
    if (this.state === "handshaking") return this.onHandshake(m);
    switch (m.k) {
      case Kind.Send: return this.onSend(m.channel, m.body, bytes);
      case Kind.Request: return void this.onRequest(m.id, m.channel, m.body, bytes);
      case Kind.Response: {
        const p = this.pending.get(m.id);
        if (!p) return; // timed out already
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.body);
        else p.reject(remoteError(m.code, m.message, m.remoteCode));
        return;
      }
      case Kind.StreamOpen: return this.onStreamOpen(m.sid, m.channel, m.body, m.credit, bytes);
      case Kind.StreamData:
        if (this.readers.get(m.sid)?.push(m.body) === false) throw TransportError.malformed(`stream ${m.sid} overran its credit`);
        return;
      case Kind.StreamEnd: return this.readers.get(m.sid)?.finish();
      case Kind.StreamError:
        return this.readers.get(m.sid)?.finish(remoteError(m.code, m.message, m.remoteCode));
      case Kind.StreamCancel:
        return this.writers.get(m.sid)?.abort(new TransportError("STREAM_CANCELLED", "the reader cancelled the stream; stop writing"));
      case Kind.StreamCredit: return this.writers.get(m.sid)?.addCredit(m.n);
      case Kind.Hello: return this.onReHello(m.proof);
      case Kind.Reject: return this.onRejected(m.code, m.message);
      default:
        throw TransportError.malformed(`handshake message kind ${m.k} after admission`);
    }
  }

  private onHandshake(m: Message): void {
    if (m.k === Kind.Hello) {
      if (this.admitted) throw TransportError.malformed("second hello");
      const res = checkProof(this.host.policy, m.proof, this.link.localKey, this.link.remoteKey, (id) => this.host.isRevoked(id), Date.now());
      if (!res.ok) {
        this.host.limited.warn({ peer: short(this.peer), address: this.link.remoteAddress, reason: res.reason }, "refusing peer");
        this.write({ k: Kind.Reject, code: res.code, message: res.reason });
        this.close(`refused: ${res.reason}`, true);
        return;
      }
      this.admitted = res;
      this.write({ k: Kind.Welcome });
    } else if (m.k === Kind.Welcome) {
      if (!this.admitted) throw TransportError.malformed("welcome before hello");
      this.welcomed = true;
    } else if (m.k === Kind.Reject) {
      return this.onRejected(m.code, m.message);
    } else {
      throw TransportError.malformed(`message kind ${m.k} before admission`);
    }
    if (this.admitted && this.welcomed) {
      clearTimeout(this.handshakeTimer);
      this.state = "open";
      const a = this.admitted;
      this.info = this.infoOf(a, Date.now());
      this.decoder.maxFrameBytes = this.host.frameLimitFor(a.class);
      this.host.sessionOpened(this);
    }
  }

  private infoOf(a: NonNullable<Session["admitted"]>, connectedAtMs: number): PeerInfo {
    return {
      id: this.peer,
      class: a.class,
      via: a.via,
      ...(a.joinSecret ? { joinRole: a.joinSecret.role } : {}),
      ...(a.cert ? { certificate: a.cert, clusterPublicKey: a.ca } : {}),
      address: this.link.remoteAddress,
      connectedAtMs,
    };
  }

  private onRejected(code: string, message: string): void {
    this.host.limited.warn(
      { peer: short(this.peer), code: clip(code, 40), reason: clip(message) },
      "peer refused our admission proof; check the join token or certificate",
    );
    this.close(`refused by peer: ${clip(message)}`);
    this.host.refusedBy(this.peer, clip(message));
  }

  /**
   * Presents our current proof again on an open connection (we got a certificate, or a new one): the
   * peer re-admits us under it without a new connection, or refuses and closes.
   */
  reprove(): void {
    if (this.state !== "open") return;
    let proof;
    try {
      proof = makeProof(this.host.policy, this.link.localKey, this.link.remoteKey);
    } catch (e) {
      return this.close((e as Error).message);
    }
    this.write({ k: Kind.Hello, proof });
  }

  /** The peer presents a new proof on an open connection: it replaces the old one, or the connection closes. */
  private onReHello(proof: HelloProof): void {
    const res = checkProof(this.host.policy, proof, this.link.localKey, this.link.remoteKey, (id) => this.host.isRevoked(id), Date.now());
    if (!res.ok) {
      this.host.limited.warn({ peer: short(this.peer), reason: res.reason }, "refusing a peer's new proof");
      this.write({ k: Kind.Reject, code: res.code, message: res.reason });
      this.close(`refused: ${res.reason}`, true);
      return;
    }
    this.admitted = res;
    this.info = this.infoOf(res, this.info!.connectedAtMs);
    this.decoder.maxFrameBytes = this.host.frameLimitFor(res.class);
    this.host.sessionReadmitted(this);
  }

  /** Refuses a call this peer may not make (channel access, size) before its body is decoded (or,
   * given only the first bytes of a large frame, before it is even buffered). */
  private refusedUndecoded(payload: Uint8Array, bytes = payload.length): boolean {
    const call = peekCall(payload);
    if (!call) return false;
    const ch: Channel<unknown> | undefined = call.k === Kind.StreamOpen ? this.host.streamChannel(call.channel) : this.host.channel(call.channel);
    const no = this.refusal(ch, call.channel, bytes);
    if (!no) return false;
    if (call.k === Kind.Request) this.write({ k: Kind.Response, id: call.id, ok: false, code: no.code, message: no.message });
    else if (call.k === Kind.StreamOpen) this.write({ k: Kind.StreamError, sid: call.id, code: no.code, message: no.message });
    return true;
  }

  /** Why this peer may not use `ch` with a message of `bytes`, or undefined when it may. */
  private refusal<H>(ch: Channel<H> | undefined, channel: string, bytes: number): TransportError | undefined {
    if (!ch) return TransportError.noHandler(channel);
    const no = this.accessRefusal(ch, channel, bytes);
    // A member that keeps making calls it may not make is misbehaving: past a budget it is closed
    // (not banned), so its junk stops costing us bandwidth and decryption.
    if (no && !this.refusalBudget.take("")) {
      this.host.limited.warn({ peer: short(this.peer), class: this.info!.class }, "closing connection: too many refused calls");
      this.close("too many refused calls");
    }
    return no;
  }

  private accessRefusal<H>(ch: Channel<H>, channel: string, bytes: number): TransportError | undefined {
    const cls = this.info!.class;
    if (!ch.accept.has(cls)) {
      this.host.limited.warn({ peer: short(this.peer), class: cls, channel: clip(channel, 64) }, "refusing a call on a channel this peer class may not use");
      return TransportError.forbidden(channel, cls);
    }
    if (bytes > ch.maxBytes) {
      this.host.limited.warn({ peer: short(this.peer), channel: clip(channel, 64), bytes, max: ch.maxBytes }, "refusing an oversized message");
      return TransportError.tooLarge(channel, bytes, ch.maxBytes);
    }
    return undefined;
  }

  private onSend(channel: string, body: unknown, bytes: number): void {
    const ch = this.host.channel(channel);
    const no = this.refusal(ch, channel, bytes);
    if (no) {
      if (no.code === "NO_HANDLER") this.host.log.debug({ peer: short(this.peer), channel: clip(channel, 64) }, "dropping message: no handler");
      return;
    }
    try {
      const r = ch!.handler(body, this.peer, this.info!);
      if (r instanceof Promise) r.catch((e: unknown) => this.logHandlerError(channel, e));
    } catch (e) {
      this.logHandlerError(channel, e);
    }
  }

  private async onRequest(id: number, channel: string, body: unknown, bytes: number): Promise<void> {
    const ch = this.host.channel(channel);
    const no = this.refusal(ch, channel, bytes);
    if (no) {
      this.write({ k: Kind.Response, id, ok: false, code: no.code, message: no.message });
      return;
    }
    let reply: Message;
    try {
      const value = await ch!.handler(body, this.peer, this.info!);
      reply = { k: Kind.Response, id, ok: true, body: value };
    } catch (e) {
      const { code, message } = errorFields(e);
      reply = { k: Kind.Response, id, ok: false, code: "REMOTE_ERROR", message, remoteCode: code };
    }
    try {
      this.write(reply);
    } catch (e) {
      // The handler returned something that is not plain data: the caller gets an error, not silence.
      this.logHandlerError(channel, e);
      this.write({ k: Kind.Response, id, ok: false, code: "REMOTE_ERROR", message: (e as Error).message, remoteCode: "INVALID_ARGUMENT" });
    }
  }

  private onStreamOpen(sid: number, channel: string, body: unknown, credit: number, bytes: number): void {
    if (this.writers.has(sid)) throw TransportError.malformed(`stream id ${sid} reused`);
    const ch = this.host.streamChannel(channel);
    const no = this.refusal(ch, channel, bytes);
    if (no) {
      this.write({ k: Kind.StreamError, sid, code: no.code, message: no.message });
      return;
    }
    const w = new StreamWriter(
      this.peer, sid, credit, (m) => this.write(m), (m) => encodeFrame(encodeMessage(m)), (f) => this.writeFrame(f), () => this.writers.delete(sid),
    );
    this.writers.set(sid, w);
    const settle = (e?: unknown) => {
      if (e === undefined) return w.end();
      if (w.closed) return; // cancelled or lost: the handler's error is the expected consequence
      const { code, message } = errorFields(e);
      w.fail(code ?? "STREAM_FAILED", message);
    };
    try {
      Promise.resolve(ch!.handler(body, w, this.info!)).then(() => settle(), (e: unknown) => settle(e ?? new Error("stream handler failed")));
    } catch (e) {
      settle(e);
    }
  }

  private logHandlerError(channel: string, e: unknown): void {
    this.host.limited.warn({ peer: short(this.peer), channel: clip(channel, 64), err: clip(errorFields(e).message) }, "message handler failed");
  }
}

/** The error a refused or failed call surfaces as at the caller. Codes the transport itself answers
 * with keep their code; anything else is the remote handler's failure. */
function remoteError(code: string, message: string, remoteCode?: string): TransportError {
  if (code === "NO_HANDLER" || code === "FORBIDDEN" || code === "TOO_LARGE") return new TransportError(code, clip(message, 500));
  return TransportError.remote(clip(message, 2000), remoteCode === undefined ? undefined : clip(remoteCode, 64));
}

/** A handler's error as sent to the caller: code cut to 64 and message to 2000 characters (the
 * receiver refuses longer ones). */
function errorFields(e: unknown): { code?: string; message: string } {
  if (e && typeof e === "object") {
    const o = e as { code?: unknown; message?: unknown };
    return {
      code: typeof o.code === "string" ? o.code.slice(0, 64) : undefined,
      message: clip(typeof o.message === "string" ? o.message : String(e), 2000),
    };
  }
  return { message: clip(String(e), 2000) };
}
