/** Object IDs like Docker Swarm's: 25 characters of [0-9a-z], from the OS's random source. */
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

export function newId(): string {
  const bytes = randomBytes(25);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}
