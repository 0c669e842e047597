/**
 * The joining side of `swarm join`, and starting a transport with errors that say what to do. The
 * agent calls these; they hold no state of their own.
 */
import type { Logger } from "pino";
import { isIP } from "node:net";
import { JOIN_CHANNEL, SwarmError, type JoinReply, type NodeDescription } from "../api/index.ts";
import type { ClusterTransport, PeerInfo } from "../transport/index.ts";

/** How long a join waits for the manager it was pointed at before asking another one. */
const JOIN_PREFER_MS = 200;

export interface JoinAsk {
  transport: ClusterTransport;
  /** host:port the user named. */
  remote: string;
  /** Epoch ms after which the join gives up. */
  deadline: number;
  /** The transport's start failure, if any (it starts in the background). */
  startError: () => unknown;
  /** This node's description, being fetched; `describe` fetches it again after a failure. */
  description: Promise<NodeDescription>;
  describe: () => Promise<NodeDescription>;
  /** For the message when nobody answered. */
  timeoutMs: number;
  log: Logger;
}

/**
 * Asks a manager of the cluster to admit this node; resolves with its answer and the description that
 * was sent. Throws a SwarmError naming the cause: refused (wrong token), a conflict, or nobody answered.
 */
export async function askToJoin(o: JoinAsk): Promise<{ reply: JoinReply; description: NodeDescription }> {
  const { transport, remote, deadline } = o;
  const refusals: string[] = [];
  // A refusal or a new peer (the manager we wait for) ends the pause between looks at once.
  let wake: (() => void) | undefined;
  const offRefused = transport.on("refused", (_id, reason) => {
    refusals.push(reason);
    wake?.();
  });
  const offUp = transport.on("peer-up", () => wake?.());
  let desc = o.description;
  let firstManagerAt: number | undefined;
  try {
    for (;;) {
      if (o.startError()) throw o.startError();
      const manager = pickJoinManager(transport, remote, (firstManagerAt ??= transport.peers().some((p) => p.class === "manager") ? Date.now() : undefined));
      if (manager) {
        o.log.debug({ manager: manager.id.slice(0, 12) }, "join: asking a manager");
        try {
          const d = await desc.catch((err: unknown) => {
            desc = o.describe(); // the engine may answer by the next attempt
            desc.catch(() => undefined);
            throw err;
          });
          const reply = (await transport.request(manager.id, JOIN_CHANNEL, { description: d }, { timeoutMs: 10_000 })) as JoinReply;
          return { reply, description: d };
        } catch (err) {
          const e = err as { code?: string; remoteCode?: string; message: string };
          if (e.remoteCode === "CONFLICT" || e.remoteCode === "FORBIDDEN" || e.remoteCode === "INVALID_ARGUMENT") {
            throw new SwarmError(e.remoteCode, e.message.replace(/^the peer's handler failed: /, ""));
          }
          if (Date.now() > deadline) throw err;
        }
      }
      if (refusals.length > 0) {
        throw new SwarmError(
          "FORBIDDEN",
          `the manager at ${remote} refused this node (${refusals[0]}): check the token (\`swarm join-token worker\` or \`manager\` on a manager prints the current one); nothing was joined`,
        );
      }
      if (Date.now() > deadline) {
        throw SwarmError.unavailable(
          `could not join: no manager of this cluster answered at ${remote} within ${Math.round(o.timeoutMs / 1000)} s; check the address and port (the manager's --advertise-addr and --listen-addr), that UDP to it is allowed, and that the token is for that cluster`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    offRefused();
    offUp();
  }
}

/**
 * The manager to ask to join: the one at `remote` (the address the user named, as Docker joins
 * through it; usually the leader, which commits the join without forwarding it), once connected;
 * any manager if `remote` is not an IP address, or when the named one has not connected within
 * JOIN_PREFER_MS of the first manager (it may be reachable only through the DHT's view of it).
 */
function pickJoinManager(transport: ClusterTransport, remote: string, firstManagerAt: number | undefined): PeerInfo | undefined {
  const managers = transport.peers().filter((p) => p.class === "manager");
  if (managers.length === 0) return undefined;
  const host = remote.slice(0, remote.lastIndexOf(":"));
  if (!isIP(host)) return managers[0];
  const named = managers.find((p) => p.address !== undefined && p.address.slice(0, p.address.lastIndexOf(":")) === host);
  if (named) return named;
  return firstManagerAt !== undefined && Date.now() - firstManagerAt >= JOIN_PREFER_MS ? managers[0] : undefined;
}

/** Starts a transport; a port already in use says which and what to do. */
export async function startTransport(t: ClusterTransport, o: { addr: string; listenPort: number; remote?: string }): Promise<void> {
  try {
    await t.start();
  } catch (err) {
    await t.close().catch(() => undefined);
    const msg = (err as Error).message ?? String(err);
    if (/EADDRINUSE/.test(msg)) {
      throw SwarmError.unavailable(
        `cannot listen on ${o.addr}:${o.listenPort}/udp: the port is in use (another swarm agent on this host?); stop it, or choose another port with --listen-addr`,
      );
    }
    if ((err as { code?: string }).code === "UNREACHABLE") {
      throw SwarmError.unavailable(
        `could not join: nothing answered at ${o.remote ?? "the given address"} (${msg}); check the address and port (the manager's --advertise-addr and --listen-addr, 2377 by default), that the manager's agent runs, and that UDP to it is allowed; nothing was joined`,
      );
    }
    if (/EADDRNOTAVAIL/.test(msg)) {
      throw SwarmError.invalid(`cannot listen on ${o.addr}: this host has no such address; check --advertise-addr`);
    }
    throw err;
  }
}

