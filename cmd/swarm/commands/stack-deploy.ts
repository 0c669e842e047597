/**
 * `swarm stack deploy -c compose.yml [-c override.yml …] [--prune] NAME`. Reads the files, loads and
 * validates them completely (internal/stack), asks the agent for the current services, secrets and
 * configs, plans, and only then changes anything: creates the stack's secrets and configs that do not
 * exist yet (`<stack>_<key>`, from their files), removes (with --prune), updates the services whose
 * spec changed (the normal update path, rolling per service), creates the new ones. A bad file, a
 * missing secret file or a missing external secret changes nothing.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SwarmError, type Config, type SecretView, type ServiceView } from "../../../internal/api/index.ts";
import { all, bool, updateServiceWithRetry, type FlagDef } from "../../../internal/cli/index.ts";
import { loadStack, planDeploy, planFiles, withFileIds, type ComposeFile, type FilePlan, type StackFile } from "../../../internal/stack/index.ts";
import type { Command, Ctx } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { waitForConvergence } from "../progress.ts";

const FLAGS: FlagDef[] = [
  { name: "compose-file", short: "c", kind: "list", value: "strings", help: 'Path to a Compose file, or "-" to read from stdin (repeat to merge files in order)' },
  { name: "prune", kind: "bool", help: "Prune services that are no longer referenced" },
  { name: "detach", short: "d", kind: "bool", help: "Exit immediately instead of waiting for the stack services to converge (default true)" },
  { name: "quiet", short: "q", kind: "bool", help: "Suppress progress output" },
];

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function readComposeFiles(paths: string[]): Promise<{ files: ComposeFile[]; projectDir: string }> {
  const files: ComposeFile[] = [];
  for (const path of paths) {
    if (path === "-") {
      files.push({ path: "(stdin)", text: await Bun.stdin.text() });
      continue;
    }
    const text = readIfExists(resolve(path));
    if (text === undefined) throw SwarmError.invalid(`compose file ${path} not found: check the path given with -c`);
    files.push({ path, text });
  }
  const first = paths[0]!;
  return { files, projectDir: first === "-" ? process.cwd() : dirname(resolve(first)) };
}

export const stackDeployCmd: Command = {
  name: "deploy",
  summary: "Deploy a new stack or update an existing stack",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm stack deploy [OPTIONS] STACK\n\nDeploy a new stack or update an existing stack.", FLAGS);
    if (!p) return 0;
    if (p.args.length !== 1) throw SwarmError.invalid(`"swarm stack deploy" requires exactly 1 argument: STACK (see --help)`);
    const namespace = p.args[0]!;
    const paths = all(p, "compose-file");
    if (paths.length === 0) throw SwarmError.invalid(`please specify a Compose file (with --compose-file/-c)`);
    const { files, projectDir } = await readComposeFiles(paths);
    const stack = loadStack(namespace, { files, env: process.env, projectDir, readFile: readIfExists });
    for (const w of stack.warnings) ctx.err(w + "\n");
    const current = (await ctx.client.call<ServiceView[]>("GET", "/services")).map((v) => v.Service);
    const existing = {
      secrets: stack.files.some((f) => f.kind === "secret") ? await ctx.client.call<SecretView[]>("GET", "/secrets") : [],
      configs: stack.files.some((f) => f.kind === "config") ? await ctx.client.call<Config[]>("GET", "/configs") : [],
    };
    const filePlan = planFiles(stack.files, existing);
    const data = new Map(filePlan.create.map((f) => [f, fileData(f)])); // every file read before anything changes
    const plan = planDeploy(namespace, stack.services.map((s) => withFileIds(s.spec, existing)), current, bool(p, "prune"));
    return apply(ctx, namespace, { files: filePlan, data }, plan, !bool(p, "detach", true), bool(p, "quiet"));
  },
};

/** A secret's or config's data: its file's bytes, or the value the compose file gave. */
function fileData(f: StackFile): Uint8Array {
  if (f.data !== undefined) return new TextEncoder().encode(f.data);
  try {
    return new Uint8Array(readFileSync(f.file!));
  } catch (e) {
    throw SwarmError.invalid(`${f.kind}s.${f.key}: cannot read ${f.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was changed`);
  }
}

async function apply(
  ctx: Ctx, namespace: string, f: { files: FilePlan; data: Map<StackFile, Uint8Array> }, plan: ReturnType<typeof planDeploy>, wait: boolean, quiet: boolean,
): Promise<number> {
  const done: string[] = [];
  const changed: string[] = [];
  try {
    for (const file of f.files.create) {
      ctx.out(`Creating ${file.kind} ${file.name}\n`);
      const body = { name: file.name, data: Buffer.from(f.data.get(file)!).toString("base64"), labels: file.labels };
      await ctx.client.call("POST", `/${file.kind}s`, body);
      done.push(`created ${file.kind} ${file.name}`);
    }
    if (plan.remove.length) {
      for (const s of plan.remove) ctx.out(`Removing service ${s.Spec.Name}\n`);
      await ctx.client.call("POST", "/services/remove", { refs: plan.remove.map((s) => s.ID) });
      done.push(...plan.remove.map((s) => `removed ${s.Spec.Name}`));
    }
    for (const u of plan.update) {
      ctx.out(`Updating service ${u.spec.Name} (id: ${u.id})\n`);
      // The normal update path: based on the version read, re-applied if another writer landed first.
      await updateServiceWithRetry(ctx.client, u.id, (svc) => ({ ...u.spec, TaskTemplate: { ...u.spec.TaskTemplate, ForceUpdate: svc.Spec.TaskTemplate.ForceUpdate } }));
      done.push(`updated ${u.spec.Name}`);
      changed.push(u.id);
    }
    for (const spec of plan.create) {
      ctx.out(`Creating service ${spec.Name}\n`);
      const { ID } = await ctx.client.call<{ ID: string }>("POST", "/services", { spec });
      done.push(`created ${spec.Name}`);
      changed.push(ID);
    }
  } catch (err) {
    if (done.length === 0 || !(err instanceof SwarmError)) throw err;
    throw new SwarmError(err.code, `${err.message} (stack ${namespace} is partly deployed: ${done.join(", ")}; fix the cause and deploy again)`);
  }
  for (const s of plan.unchanged) ctx.out(`Service ${s.Spec.Name} is up to date\n`);
  for (const s of plan.orphaned) ctx.err(`Service ${s.Spec.Name} is no longer in the compose files and keeps running (use --prune to remove it)\n`);
  if (wait) for (const id of changed) await waitForConvergence(ctx, id, quiet);
  return 0;
}
