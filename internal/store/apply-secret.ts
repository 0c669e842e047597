/**
 * State-machine handlers for secrets and configs. Names are unique per kind (decided here); a secret
 * or config in use by a service cannot be removed. The secret's payload arrives sealed (encrypted by
 * the proposing manager): the state machine never sees plaintext.
 */
import { OK, type Command, type Id, type Outcome, type ServiceSpec } from "../api/index.ts";
import type { Draft } from "./draft.ts";

type Cmd<K extends Command["kind"]> = Extract<Command, { kind: K }>;

/** Docker's rule for secret and config names. */
export const OBJECT_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$/;

function invalid(message: string): Outcome {
  return { ok: false, code: "INVALID_ARGUMENT", message };
}

function usersOf(d: Draft, uses: (spec: ServiceSpec) => boolean): string[] {
  return Object.values(d.services)
    .filter((s) => uses(s.Spec))
    .map((s) => s.Spec.Name)
    .sort();
}

function inUse(kind: string, name: string, users: string[]): Outcome {
  return {
    ok: false,
    code: "CONFLICT",
    message: `${kind} '${name}' is in use by the following service${users.length > 1 ? "s" : ""}: ${users.join(", ")}; remove it from ${users.length > 1 ? "them" : "it"} first (\`swarm service update --${kind}-rm ${name} ${users[0]}\`)`,
  };
}

export function applySecretCreate(d: Draft, c: Cmd<"secret.create">): Outcome {
  const s = c.secret;
  if (!s || typeof s.ID !== "string" || s.ID === "" || typeof s.Sealed !== "string" || typeof s.Spec?.Name !== "string") return invalid("secret.create needs a secret");
  if (!OBJECT_NAME.test(s.Spec.Name)) return invalid(`invalid secret name "${s.Spec.Name}": use 1-64 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
  if (d.secret(s.ID) !== undefined) return { ok: false, code: "CONFLICT", message: `secret ID ${s.ID} already exists` };
  if (Object.values(d.secrets).some((x) => x.Spec.Name === s.Spec.Name)) {
    return { ok: false, code: "CONFLICT", message: `secret ${s.Spec.Name} already exists: choose another name, or remove it first (\`swarm secret rm ${s.Spec.Name}\`)` };
  }
  d.putSecret({ ...s, Spec: { Name: s.Spec.Name, Labels: { ...(s.Spec.Labels ?? {}) } } });
  return { ok: true, value: s.ID };
}

export function applySecretRemove(d: Draft, c: Cmd<"secret.remove">): Outcome {
  const s = d.secret(c.id);
  if (s === undefined) return { ok: false, code: "NOT_FOUND", message: `secret ${c.id} not found` };
  const users = usersOf(d, (spec) => (spec.TaskTemplate.ContainerSpec.Secrets ?? []).some((r) => r.SecretID === c.id));
  if (users.length > 0) return inUse("secret", s.Spec.Name, users);
  d.deleteSecret(c.id);
  return OK;
}

export function applyConfigCreate(d: Draft, c: Cmd<"config.create">): Outcome {
  const s = c.config;
  if (!s || typeof s.ID !== "string" || s.ID === "" || typeof s.Spec?.Name !== "string" || typeof s.Spec.Data !== "string") return invalid("config.create needs a config");
  if (!OBJECT_NAME.test(s.Spec.Name)) return invalid(`invalid config name "${s.Spec.Name}": use 1-64 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
  if (d.config(s.ID) !== undefined) return { ok: false, code: "CONFLICT", message: `config ID ${s.ID} already exists` };
  if (Object.values(d.configs).some((x) => x.Spec.Name === s.Spec.Name)) {
    return { ok: false, code: "CONFLICT", message: `config ${s.Spec.Name} already exists: choose another name, or remove it first (\`swarm config rm ${s.Spec.Name}\`)` };
  }
  d.putConfig({ ...s, Spec: { Name: s.Spec.Name, Labels: { ...(s.Spec.Labels ?? {}) }, Data: s.Spec.Data } });
  return { ok: true, value: s.ID };
}

export function applyConfigRemove(d: Draft, c: Cmd<"config.remove">): Outcome {
  const s = d.config(c.id);
  if (s === undefined) return { ok: false, code: "NOT_FOUND", message: `config ${c.id} not found` };
  const users = usersOf(d, (spec) => (spec.TaskTemplate.ContainerSpec.Configs ?? []).some((r) => r.ConfigID === c.id));
  if (users.length > 0) return inUse("config", s.Spec.Name, users);
  d.deleteConfig(c.id);
  return OK;
}

export type { Id };
