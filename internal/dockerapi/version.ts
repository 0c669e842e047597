/**
 * API version negotiation as the Docker daemon does it: clients ping `/_ping` (unversioned), read the
 * `API-Version` header, and send every later request under `/vX.Y/`. A version above ours is refused
 * with Docker's words (a client that negotiates never sends one); a path without a prefix is served
 * at our version.
 */
import { SwarmError } from "../api/index.ts";

/**
 * The Engine API version this endpoint speaks: Docker 20.10's. Newer clients (Docker 28 speaks 1.50)
 * negotiate down to it; the swarm shapes (Service, Task, Node, ServiceStatus) are the same there.
 */
export const API_VERSION = "1.41";
/** The oldest version the Docker daemon still accepts by default. */
export const MIN_API_VERSION = "1.24";

function compare(a: string, b: string): number {
  const [a1, a2] = a.split(".").map(Number) as [number, number];
  const [b1, b2] = b.split(".").map(Number) as [number, number];
  return a1 - b1 || a2 - b2;
}

/** `/v1.41/services` → `{ version: "1.41", path: "/services" }`; `/services` → our version. */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1]!;
  if (compare(version, API_VERSION) > 0) {
    throw SwarmError.invalid(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (compare(version, MIN_API_VERSION) < 0) {
    throw SwarmError.invalid(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: m[2] ?? "/" };
}

export function versionAtLeast(version: string, min: string): boolean {
  return compare(version, min) >= 0;
}
