/**
 * The CLI's client for the local agent's API (HTTP + JSON over the agent's unix socket).
 * Every failure is a SwarmError: the agent's own typed errors pass through with their code, and a
 * missing agent becomes UNAVAILABLE with how to start one.
 */
import { SwarmError, type ErrorCode } from "../api/index.ts";

export class AgentClient {
  constructor(readonly socketPath: string) {}

  private notRunning(err: unknown): SwarmError {
    return SwarmError.unavailable(
      `cannot connect to the swarm agent at unix://${this.socketPath} (${(err as Error)?.message ?? err}): ` +
        "is it running? Start one with `swarm init`, or point -H/--host or SWARM_HOST at its socket",
    );
  }

  async raw(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`http://localhost${path}`, {
        method,
        unix: this.socketPath,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      } as RequestInit);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.notRunning(err);
    }
    if (!res.ok) {
      let payload: { code?: ErrorCode; message?: string } = {};
      try {
        payload = (await res.json()) as typeof payload;
      } catch {
        // not JSON: keep the status
      }
      throw new SwarmError(payload.code ?? "INTERNAL", payload.message ?? `agent answered HTTP ${res.status}`);
    }
    return res;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    return (await res.json()) as T;
  }

  async ping(): Promise<boolean> {
    try {
      await this.raw("GET", "/_ping");
      return true;
    } catch {
      return false;
    }
  }

  /** Yields each NDJSON object of a streaming endpoint until it ends or `signal` aborts. */
  async *stream<T>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.raw("GET", path, undefined, signal);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const obj = JSON.parse(line) as { error?: { code: ErrorCode; message: string } };
          if (obj.error) throw new SwarmError(obj.error.code, obj.error.message);
          yield obj as T;
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      reader.releaseLock();
    }
  }
}
