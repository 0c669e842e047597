/**
 * Resolves what a user typed to one object, as Docker does: the full ID, else the exact name
 * (services) or hostname (nodes), else a unique ID prefix. Throws SwarmError NOT_FOUND or AMBIGUOUS
 * (and INVALID_ARGUMENT for an empty reference).
 */
import { type ClusterState, type Config, configsOf, type Id, type Node, type Secret, secretsOf, type Service, SwarmError, type Task } from "../api/index.ts";

function resolve<T extends { ID: Id }>(kind: string, ref: string, all: readonly T[], nameOf?: (x: T) => string): T {
  if (ref === "") throw SwarmError.invalid(`a ${kind} name or ID is required`);
  const byId = all.find((x) => x.ID === ref);
  if (byId) return byId;
  if (nameOf) {
    const named = all.filter((x) => nameOf(x) === ref);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw SwarmError.ambiguous(kind, ref);
  }
  const prefixed = all.filter((x) => x.ID.startsWith(ref));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) throw SwarmError.ambiguous(kind, ref);
  throw SwarmError.notFound(kind, ref);
}

export function findService(state: ClusterState, ref: string): Service {
  return resolve("service", ref, Object.values(state.services), (s) => s.Spec.Name);
}

/** Secrets by full ID, name or unique ID prefix. */
export function findSecret(state: ClusterState, ref: string): Secret {
  return resolve("secret", ref, Object.values(secretsOf(state)), (s) => s.Spec.Name);
}

/** Configs by full ID, name or unique ID prefix. */
export function findConfig(state: ClusterState, ref: string): Config {
  return resolve("config", ref, Object.values(configsOf(state)), (s) => s.Spec.Name);
}

/** Tasks by full ID or unique ID prefix. */
export function findTask(state: ClusterState, ref: string): Task {
  return resolve("task", ref, Object.values(state.tasks));
}

/** Nodes by full ID, hostname (if unique) or unique ID prefix; `self` resolves to `opts.selfId`. */
export function findNode(state: ClusterState, ref: string, opts: { selfId?: Id } = {}): Node {
  if (ref === "self" && opts.selfId !== undefined && state.nodes[opts.selfId]) return state.nodes[opts.selfId]!;
  return resolve("node", ref, Object.values(state.nodes), (n) => n.Description.Hostname);
}

/** Like the find functions, but undefined instead of NOT_FOUND (AMBIGUOUS still throws). */
export function tryFind<T>(find: () => T): T | undefined {
  try {
    return find();
  } catch (e) {
    if (e instanceof SwarmError && e.code === "NOT_FOUND") return undefined;
    throw e;
  }
}
