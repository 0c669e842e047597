/**
 * The web address's routes, read-only by construction: only GET (and HEAD) are answered, anything else
 * is 405. `/` the page, `/events` server-sent events (the ClusterView now, then on every change,
 * coalesced to at most one event per `minIntervalMs`, with a comment every `keepAliveMs` so proxies
 * keep the stream), `/api/cluster` the same view as JSON, `/metrics` Prometheus text.
 *
 * Contract: `WebSource.view()` is cheap enough to run on every change (it is a pure function of the
 * manager's state); `subscribe` calls back after every state change and returns its unsubscribe.
 */
import { CONTENT_TYPE, render, type Family } from "../metrics/index.ts";
import { PAGE_HTML } from "./page.ts";
import type { ClusterView } from "./view.ts";

export interface WebSource {
  view(): ClusterView;
  subscribe(fn: () => void): () => void;
  metrics(): Family[] | Promise<Family[]>;
}

export interface WebOptions {
  /** At most one event per this long (a burst of task updates becomes one redraw). */
  minIntervalMs?: number;
  keepAliveMs?: number;
}

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

function res(body: ConstructorParameters<typeof Response>[0], status: number, type: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "Content-Type": type, ...SECURITY_HEADERS, ...extra } });
}

export function createWebHandler(src: WebSource, o: WebOptions = {}): (req: Request) => Promise<Response> {
  const minIntervalMs = o.minIntervalMs ?? 100;
  const keepAliveMs = o.keepAliveMs ?? 15_000;

  const events = (req: Request): Response => {
    const enc = new TextEncoder();
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let closed = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        let lastSent = 0;
        const send = (text: string) => {
          if (closed) return;
          try {
            controller.enqueue(enc.encode(text));
          } catch {
            cleanup();
          }
        };
        const push = () => {
          timer = undefined;
          lastSent = Date.now();
          send(`event: cluster\ndata: ${JSON.stringify(src.view())}\n\n`);
        };
        const changed = () => {
          if (timer !== undefined || closed) return;
          const wait = Math.max(0, lastSent + minIntervalMs - Date.now());
          timer = setTimeout(push, wait);
        };
        const unsubscribe = src.subscribe(changed);
        const keepAlive = setInterval(() => send(`: keep-alive\n\n`), keepAliveMs);
        cleanup = () => {
          if (closed) return;
          closed = true;
          unsubscribe();
          clearInterval(keepAlive);
          if (timer !== undefined) clearTimeout(timer);
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        req.signal.addEventListener("abort", () => cleanup(), { once: true });
        send(`retry: 1000\n\n`);
        push();
      },
      cancel() {
        cleanup();
      },
    });
    return res(stream, 200, "text/event-stream; charset=utf-8", { "Cache-Control": "no-cache", Connection: "keep-alive" });
  };

  return async (req: Request) => {
    const url = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return res(`${req.method} is not allowed: the web address is read-only\n`, 405, "text/plain; charset=utf-8", { Allow: "GET, HEAD" });
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return res(PAGE_HTML, 200, "text/html; charset=utf-8", {
          "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
          "Cache-Control": "no-cache",
        });
      case "/events":
        return events(req);
      case "/api/cluster":
        return res(JSON.stringify(src.view()), 200, "application/json");
      case "/metrics":
        return res(render(await src.metrics()), 200, CONTENT_TYPE);
      case "/healthz":
        return res("ok\n", 200, "text/plain; charset=utf-8");
      default:
        return res(`no page at ${url.pathname}: see / (the cluster), /metrics (Prometheus)\n`, 404, "text/plain; charset=utf-8");
    }
  };
}
