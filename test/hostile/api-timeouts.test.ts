/**
 * Issue 11, defect 11: the API had no idle or header timeout (idleTimeout 0), so a local client could
 * hold connections open forever without sending a request. Now an incomplete request idles out, and a
 * complete one lifts the timeout: streams (`--detach=false` watches, `logs -f`) stay open.
 * The real router over Bun's server on a unix socket, on an in-process one-node cluster, with a 1 s
 * idle timeout instead of the agent's 10 s.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveApi } from "../../internal/daemon/http.ts";
import { makeRouter } from "../../internal/daemon/routes.ts";
import { replicated } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { ApiBench } from "./api.ts";

let b: ApiBench;
let dir: string;
let socket: string;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  b = await ApiBench.start(1103);
  await b.node.api.createService(replicated("web", 1));
  dir = mkdtempSync(join(tmpdir(), "swarm-hostile-timeouts-"));
  socket = join(dir, "api.sock");
  server = serveApi(socket, makeRouter(b.node.api, () => undefined), 1);
}, 30_000);
afterAll(async () => {
  server?.stop(true);
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a raw connection, sends `bytes`, and resolves with how long until the server closed it (or undefined). */
async function heldFor(bytes: string, maxMs: number): Promise<number | undefined> {
  const t0 = Date.now();
  let closedAt: number | undefined;
  const sock = await Bun.connect({ unix: socket, socket: { data() {}, close() { closedAt ??= Date.now(); }, error() { closedAt ??= Date.now(); } } });
  if (bytes) sock.write(bytes);
  await waitUntil("closed or the deadline", () => closedAt !== undefined || Date.now() - t0 > maxMs, maxMs + 1000, 50);
  const ms = closedAt === undefined ? undefined : closedAt - t0;
  sock.end();
  return ms;
}

// Bun closes a connection whose request headers are incomplete after ~10-12 s whatever idleTimeout
// says; the idle timeout is what closes one stuck in its body (with idleTimeout 0 it stayed forever).
test("incomplete requests are closed: silent, stopped mid-headers, stopped mid-body", async () => {
  const [silent, headers, body] = await Promise.all([
    heldFor("", 20_000),
    heldFor("GET /services HTTP/1.1\r\nHost: x\r\n", 20_000),
    heldFor("POST /services HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"spec\":", 20_000),
  ]);
  expect(silent).toBeDefined();
  expect(headers).toBeDefined();
  expect(body).toBeDefined();
  expect(body!).toBeLessThan(10_000);
}, 30_000);

test("a complete request's stream stays open past the idle timeout and keeps delivering", async () => {
  const ac = new AbortController();
  const res = await fetch("http://agent/watch?service=web", { unix: socket, signal: ac.signal } as RequestInit);
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  await reader.read(); // the first state
  await Bun.sleep(2500); // well past the 1 s idle timeout, with nothing sent
  await b.node.api.updateService("web", { ...replicated("web", 2) });
  const next = await reader.read();
  expect(next.done).toBe(false);
  expect(new TextDecoder().decode(next.value)).toContain('"index"');
  ac.abort();
}, 15_000);
