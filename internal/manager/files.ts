/**
 * The manager's secret and config operations: create (a secret is sealed here, before anything is
 * proposed), remove (refused in apply while a service uses it), and resolving the names a spec's
 * `--secret` / `--config` references give to IDs. Name conflicts are decided in apply.
 */
import { isDesiredLive, isTerminal, SwarmError, type ClusterState, type Command, type Id, type ServiceSpec, type Task, type TaskFile } from "../api/index.ts";
import { findConfig, findSecret } from "../lookup/index.ts";
import { newId } from "./ids.ts";
import { openSecret, sealSecret } from "./sealing.ts";

/** Docker's limit for a secret's or config's data. */
export const MAX_FILE_BYTES = 500 * 1024;

export interface NewFile {
  name: string;
  data: Uint8Array;
  labels: Record<string, string>;
}

function checkData(kind: string, f: NewFile): void {
  if (f.data.length === 0) throw SwarmError.invalid(`${kind} data is empty: give a file with the ${kind}'s content (or - for stdin)`);
  if (f.data.length > MAX_FILE_BYTES) throw SwarmError.invalid(`${kind} data is ${f.data.length} bytes: at most ${MAX_FILE_BYTES} (500 KiB) allowed`);
}

function requireCluster(state: ClusterState) {
  if (!state.cluster) throw new SwarmError("NOT_INITIALIZED", "this node is not part of a cluster: run `swarm init` first");
  return state.cluster;
}

export function planCreateSecret(state: ClusterState, f: NewFile, at: string): { id: Id; commands: Command[] } {
  const cluster = requireCluster(state);
  checkData("secret", f);
  const id = newId();
  const secret = { ID: id, Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, Spec: { Name: f.name, Labels: f.labels }, Sealed: sealSecret(cluster, id, f.data) };
  return { id, commands: [{ kind: "secret.create", secret }] };
}

export function planCreateConfig(state: ClusterState, f: NewFile, at: string): { id: Id; commands: Command[] } {
  requireCluster(state);
  checkData("config", f);
  const id = newId();
  const config = { ID: id, Version: { Index: 1 }, CreatedAt: at, UpdatedAt: at, Spec: { Name: f.name, Labels: f.labels, Data: Buffer.from(f.data).toString("base64") } };
  return { id, commands: [{ kind: "config.create", config }] };
}

/** Resolves every reference first: one bad reference removes nothing. */
export function planRemoveFiles(state: ClusterState, kind: "secret" | "config", refs: string[]): { ids: Id[]; commands: Command[] } {
  const ids = refs.map((r) => (kind === "secret" ? findSecret(state, r) : findConfig(state, r)).ID);
  return { ids, commands: [...new Set(ids)].map((id): Command => (kind === "secret" ? { kind: "secret.remove", id } : { kind: "config.remove", id })) };
}

/**
 * Fills in the IDs of references that name a secret or config (the CLI sends names; SecretID "").
 * A reference with an ID must name that object. NOT_FOUND says how to create a missing one.
 */
export function resolveFileRefs(state: ClusterState, spec: ServiceSpec): ServiceSpec {
  const cs = spec.TaskTemplate.ContainerSpec;
  const missing = (kind: string, name: string) =>
    new SwarmError("NOT_FOUND", `${kind} not found: ${name}; create it first with \`swarm ${kind} create ${name} FILE\``);
  for (const r of cs.Secrets ?? []) {
    const s = Object.values(state.secrets ?? {}).find((x) => (r.SecretID ? x.ID === r.SecretID : x.Spec.Name === r.SecretName));
    if (!s || s.Spec.Name !== r.SecretName) throw missing("secret", r.SecretName);
    r.SecretID = s.ID;
  }
  for (const r of cs.Configs ?? []) {
    const c = Object.values(state.configs ?? {}).find((x) => (r.ConfigID ? x.ID === r.ConfigID : x.Spec.Name === r.ConfigName));
    if (!c || c.Spec.Name !== r.ConfigName) throw missing("config", r.ConfigName);
    r.ConfigID = c.ID;
  }
  return spec;
}

/**
 * The payloads a node needs for `tasks` (the leader, for a node's assignments): the secrets (opened)
 * and configs referenced by the tasks that are still to run. Unknown IDs are skipped (the task then
 * fails on the node with a clear error).
 */
export function filesFor(state: ClusterState, tasks: readonly Task[]): TaskFile[] {
  const out = new Map<string, TaskFile>();
  const cluster = state.cluster;
  for (const t of tasks) {
    if (!isDesiredLive(t.DesiredState) || isTerminal(t.Status.State)) continue;
    for (const r of t.Spec?.ContainerSpec?.Secrets ?? []) {
      const s = state.secrets?.[r.SecretID];
      if (!s || !cluster || out.has(`secret/${s.ID}`)) continue;
      out.set(`secret/${s.ID}`, { kind: "secret", id: s.ID, data: openSecret(cluster, s.ID, s.Sealed) });
    }
    for (const r of t.Spec?.ContainerSpec?.Configs ?? []) {
      const c = state.configs?.[r.ConfigID];
      if (!c || out.has(`config/${c.ID}`)) continue;
      out.set(`config/${c.ID}`, { kind: "config", id: c.ID, data: new Uint8Array(Buffer.from(c.Spec.Data, "base64")) });
    }
  }
  return [...out.values()];
}
