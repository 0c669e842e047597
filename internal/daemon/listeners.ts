/**
 * The agent's other listeners (only internal/daemon serves HTTP): the Docker-compatible API on a unix
 * socket, and the read-only web page with /metrics on a TCP address. Both are optional extras: a
 * listener that cannot start (a socket another agent answers on, a port in use) is logged and the
 * agent runs without it. Their handlers live in internal/dockerapi and internal/web.
 */
import { existsSync, rmSync } from "node:fs";
import type { Logger } from "pino";
import { prepareSocketDir, secureSocket } from "./data-dir.ts";
import { API_IDLE_TIMEOUT_S } from "./http.ts";

type Server = ReturnType<typeof Bun.serve>;

async function answers(path: string): Promise<boolean> {
  try {
    const res = await fetch("http://localhost/_ping", { unix: path, signal: AbortSignal.timeout(1000) } as RequestInit);
    return res.status < 500;
  } catch {
    return false;
  }
}

/**
 * Serves `handler` on a unix socket (0660, group `swarm` when it exists, like the agent's own socket).
 * A stale socket file (left by a killed agent) is replaced; one that answers is left alone and an
 * error says so.
 */
export async function serveUnix(path: string, handler: (req: Request) => Promise<Response>): Promise<Server> {
  prepareSocketDir(path);
  if (existsSync(path)) {
    if (await answers(path)) throw new Error(`another server already answers on ${path}: stop it, or choose another --docker-api`);
    rmSync(path, { force: true });
  }
  const server = Bun.serve({
    unix: path,
    fetch: (req: Request, srv: { timeout(req: Request, s: number): void }) => {
      // Streams (`GET …/logs?follow=1`) stay open as long as the client reads; bodies are small.
      if (req.method === "GET" || req.method === "HEAD") srv.timeout(req, 0);
      return handler(req);
    },
    idleTimeout: API_IDLE_TIMEOUT_S,
  } as unknown as Parameters<typeof Bun.serve>[0]);
  secureSocket(path);
  return server;
}

/** Serves `handler` on hostname:port (0: any free port); streams (SSE) are exempt from the idle timeout. */
export function serveTcp(hostname: string, port: number, handler: (req: Request) => Promise<Response>): Server {
  return Bun.serve({
    hostname,
    port,
    fetch: (req: Request, srv: { timeout(req: Request, s: number): void }) => {
      if (req.method === "GET") srv.timeout(req, 0);
      return handler(req);
    },
    idleTimeout: API_IDLE_TIMEOUT_S,
  } as unknown as Parameters<typeof Bun.serve>[0]);
}

/** Starts a listener, logging instead of failing: the agent runs on without it. */
export async function optional<T>(log: Logger, what: string, start: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await start();
  } catch (err) {
    log.error({ err }, `${what} could not start; the agent runs without it`);
    return undefined;
  }
}

/** Removes a unix socket we served (the agent is stopping). */
export function removeSocket(path: string | undefined): void {
  if (path) rmSync(path, { force: true });
}
