/** Test helpers for the transport suites: polling with a deadline, recording loggers, seeds. */
import { createHash } from "node:crypto";
import { waitUntil } from "../harness/index.ts";
import {
  clusterFingerprint, clusterKeyFromSeed, issueCertificate, keyPairFromSeed, nodeIdOf,
  type ClusterKey, type Logger, type Role, type SignedCertificate, type TransportOptions,
} from "../../internal/transport/index.ts";

/** Polls `cond` every 10 ms until it is true; throws with `what` after `timeoutMs` (the harness's waitUntil). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await waitUntil(what, async () => (await cond()) || undefined, timeoutMs, 10);
}

export interface LogLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

export function recordingLogger(echo = false): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (level: string) => (obj: object, msg: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
    if (echo) console.error(level, msg, JSON.stringify(obj));
  };
  return { log: { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") }, lines };
}

/** A deterministic 32-byte seed from a label. */
export function seedOf(label: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update("transport-test:" + label).digest());
}

export const SECRET = new Uint8Array(createHash("sha256").update("test join secret").digest());
export const WRONG_SECRET = new Uint8Array(createHash("sha256").update("not the join secret").digest());

/** A UDP port that was free a moment ago on `host` (for a DHT bootstrap node, which needs a fixed one). */
export async function freeUdpPort(host: string): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const s = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(0, host, () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A test cluster: its key, id (the key's fingerprint) and discovery key, and options for members
 * (certified by the key) and joiners (token secret only). */
export interface TestCluster {
  ck: ClusterKey;
  clusterId: string;
  discoveryKey: Uint8Array;
  /** A v2 certificate for the node of `seed`, valid from an hour ago for a day unless told. */
  certFor(seed: Uint8Array, role: Role, window?: { notBeforeMs: number; notAfterMs: number }): SignedCertificate;
  /** Options of a certified member. */
  member(seed: Uint8Array, role: Role, extra?: Partial<TransportOptions>): TransportOptions;
  /** Options of a joining node proving `secret` (it knows only the cluster id and discovery key). */
  joiner(secret: Uint8Array, extra?: Partial<TransportOptions>): TransportOptions;
}

let serial = 0;

export function testCluster(label: string, base: Partial<TransportOptions> = {}): TestCluster {
  const ck = clusterKeyFromSeed(seedOf(`cluster-key:${label}`));
  const clusterId = clusterFingerprint(ck.publicKey);
  const discoveryKey = seedOf(`discovery:${label}`);
  const certFor = (seed: Uint8Array, role: Role, window?: { notBeforeMs: number; notAfterMs: number }) => {
    const now = Date.now();
    const w = window ?? { notBeforeMs: now - 3_600_000, notAfterMs: now + 86_400_000 };
    return issueCertificate(ck, { v: 2, clusterId, nodeId: nodeIdOf(keyPairFromSeed(seed).publicKey), role, serial: ++serial, ...w });
  };
  return {
    ck, clusterId, discoveryKey, certFor,
    member: (seed, role, extra = {}) => ({
      clusterId, discoveryKey, clusterPublicKey: ck.publicKey, certificate: certFor(seed, role), ...base, ...extra,
    }),
    joiner: (secret, extra = {}) => ({ clusterId, discoveryKey, proveSecret: secret, ...base, ...extra }),
  };
}
