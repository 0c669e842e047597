/**
 * A headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for the browser tests:
 * launch with the flags that work on these machines (no sandbox as root, no background networking on a
 * closed network, a fresh profile), find the page target, then send commands over its WebSocket.
 * Only what the tests use: navigate, evaluate, screenshot. `close()` kills the browser and its profile.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../harness/index.ts";

export const CHROMIUM = "/usr/bin/chromium";

export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `Debian's chromium (${CHROMIUM}) is not installed: run scripts/install-deps`;
}

export interface Page {
  navigate(url: string): Promise<void>;
  /** Evaluates `expression` in the page and returns its value (promises awaited). */
  eval<T>(expression: string): Promise<T>;
  screenshot(): Promise<Uint8Array>;
  /** Every URL the page has requested so far. */
  requests(): string[];
  close(): Promise<void>;
}

export async function launchChromium(width = 1280, height = 720): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), "swarm-chromium-"));
  const proc = Bun.spawn(
    [
      CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`, "--remote-debugging-port=0", "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const close = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…" on stderr.
    const reader = proc.stderr.getReader();
    let err = "";
    const port = await waitUntil("Chromium's DevTools port", async () => {
      const { value, done } = await reader.read();
      if (done) throw new Error(`chromium exited before listening: ${err}`);
      err += new TextDecoder().decode(value);
      return /DevTools listening on ws:\/\/[\d.]+:(\d+)\//.exec(err)?.[1];
    }, 30_000, 0);
    void (async () => {
      while (!(await reader.read()).done) {
        // drain stderr so Chromium never blocks on it
      }
    })();
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    const target = targets.find((t) => t.type === "page");
    if (!target) throw new Error("no page target in Chromium");
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("cannot connect to Chromium's page"));
    });
    let next = 1;
    const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
    const events: { method: string; params: any }[] = [];
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} ${msg.error.data ?? ""}`));
        else p?.resolve(msg.result);
      } else events.push(msg);
    };
    const send = (method: string, params: Record<string, unknown> = {}): Promise<any> =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    await send("Page.enable");
    await send("Runtime.enable");
    await send("Network.enable");
    await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
    return {
      async navigate(url) {
        const before = events.length;
        await send("Page.navigate", { url });
        await waitUntil(`${url} loaded`, () => events.slice(before).some((e) => e.method === "Page.loadEventFired"), 15_000, 10);
      },
      async eval<T>(expression: string): Promise<T> {
        const r = await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`page error: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
      async screenshot() {
        const r = await send("Page.captureScreenshot", { format: "png" });
        return Uint8Array.from(atob(r.data), (ch) => ch.charCodeAt(0));
      },
      requests: () => events.filter((e) => e.method === "Network.requestWillBeSent").map((e) => e.params.request.url as string),
      async close() {
        ws.close();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
