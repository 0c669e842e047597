/**
 * Join tokens (docs/cluster.md "Tokens"): `SWMTKN-1-<cluster id>-<discovery key>-<secret>`.
 * The cluster ID is the fingerprint of the cluster public key (a joiner trusts a manager only by a
 * certificate chaining to a key with that fingerprint); the discovery key derives the Hyperswarm
 * topic; the secret proves the role. Pure: shared by the CLI (early checks) and the agent.
 */
import { SwarmError } from "./errors.ts";

export interface JoinToken {
  clusterId: string;
  discoveryKey: Uint8Array;
  secret: Uint8Array;
}

const B32 = "abcdefghijklmnopqrstuvwxyz234567";

export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function fromBase32(s: string, length: number): Uint8Array | undefined {
  const out = new Uint8Array(length);
  let bits = 0;
  let value = 0;
  let i = 0;
  for (const ch of s) {
    const v = B32.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      if (i >= length) return undefined;
      out[i++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return i === length ? out : undefined;
}

const TOKEN = /^SWMTKN-1-([0-9a-z]{25})-([a-z2-7]{52})-([a-z2-7]{26})$/;

export function formatToken(t: JoinToken): string {
  return `SWMTKN-1-${t.clusterId}-${base32(t.discoveryKey)}-${base32(t.secret)}`;
}

/** Parses a token, or throws INVALID_ARGUMENT saying what a token looks like. */
export function parseToken(text: string): JoinToken {
  const m = TOKEN.exec(text.trim());
  const discoveryKey = m ? fromBase32(m[2]!, 32) : undefined;
  const secret = m ? fromBase32(m[3]!, 16) : undefined;
  if (!m || !discoveryKey || !secret) {
    throw SwarmError.invalid(
      "invalid join token: a token looks like SWMTKN-1-<25 chars>-<52 chars>-<26 chars>; print the current one with `swarm join-token worker` (or manager) on a manager",
    );
  }
  return { clusterId: m[1]!, discoveryKey, secret };
}
