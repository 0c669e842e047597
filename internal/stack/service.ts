/**
 * One compose service → a ServiceSpec (before the shared schema normalizes it). Docker's mapping
 * (cli/compose/convert): `entrypoint` is ContainerSpec.Command and `command` its Args; Env is sorted;
 * the service carries `deploy.labels` plus the stack's labels, the containers `labels` plus the
 * namespace. `healthcheck`, `secrets` and `configs` as Docker converts them (health.ts, files.ts); a key
 * swarm does not support is reported in the warnings, by name.
 */
import { posix } from "node:path";
import type { ServiceSpec } from "../api/index.ts";
import { convertDeploy, labelMap } from "./deploy.ts";
import { parseDotenv } from "./dotenv.ts";
import { fileReferences, type StackFile } from "./files.ts";
import { convertHealthcheck } from "./health.ts";
import { scopedName, STACK_LABEL } from "./labels.ts";
import { asKeyedMap } from "./merge.ts";
import { convertPorts } from "./ports.ts";
import type { Reader } from "./read.ts";
import type { MapNode, Node } from "./tree.ts";
import { convertTmpfs, convertVolumes } from "./volumes.ts";

export const SUPPORTED_KEYS = [
  "image", "command", "entrypoint", "environment", "env_file", "ports", "volumes", "tmpfs", "working_dir", "user",
  "hostname", "labels", "init", "stop_grace_period", "network_mode", "deploy", "healthcheck", "secrets", "configs",
] as const;

/** Keys of the compose specification that a swarm service cannot carry: warned, like Docker's CLI. */
export const UNSUPPORTED_KEYS = [
  "annotations", "attach", "blkio_config", "build", "cap_add", "cap_drop", "cgroup", "cgroup_parent", "cgroupns_mode",
  "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares",
  "cpus", "cpuset", "credential_spec", "depends_on", "develop", "device_cgroup_rules", "devices", "dns", "dns_opt",
  "dns_search", "domainname", "expose", "extends", "external_links", "extra_hosts", "gpus", "group_add", "ipc", "isolation",
  "label_file", "links", "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit",
  "models", "networks", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "platform", "post_start", "pre_stop",
  "privileged", "profiles", "provider", "pull_policy", "read_only", "restart", "runtime", "scale", "security_opt",
  "shm_size", "stdin_open", "stop_signal", "storage_opt", "sysctls", "tty", "ulimits", "use_api_socket", "userns_mode",
  "uts", "volumes_from",
] as const;

export interface ServiceContext {
  namespace: string;
  projectDir: string;
  home?: string;
  lookup: (name: string) => string | undefined;
  readFile: (path: string) => string | undefined;
  volumeName: (name: string) => string | undefined;
  /** The top-level secrets and configs, by key. */
  secrets: Map<string, StackFile>;
  configs: Map<string, StackFile>;
  /** Top-level networks that are the host's network (external, named host). */
  hostNetworks?: ReadonlySet<string>;
}

export function convertService(r: Reader, name: string, n: Node, c: ServiceContext): unknown {
  const path = `services.${name}`;
  const s = r.map(n, path);
  if (!s) return undefined;
  r.known(s, path, [...SUPPORTED_KEYS, ...UNSUPPORTED_KEYS]);
  const get = (k: string) => s.entries.get(k)?.value;
  const unsupported: string[] = UNSUPPORTED_KEYS.filter((k) => s.entries.has(k));
  const onHost = attachedToHost(s.entries.get("networks")?.value, c.hostNetworks);
  // Attached only to the host's network: nothing of `networks:` is ignored.
  if (onHost === "only") unsupported.splice(unsupported.indexOf("networks"), 1);

  const imageNode = get("image");
  const image = imageNode ? r.str(imageNode, `${path}.image`) : undefined;
  if (!imageNode) {
    r.issues.error(s.pos, `${path}: no image: swarm runs images and does not build them${s.entries.has("build") ? " (build: is ignored)" : ""}; add image:`);
  }
  const cs: Record<string, unknown> = { Image: image ?? "" };
  const cmd = get("command");
  if (cmd) cs.Args = r.command(cmd, `${path}.command`);
  const ep = get("entrypoint");
  if (ep) cs.Command = r.command(ep, `${path}.entrypoint`);

  const env = environment(r, s, path, c);
  if (env.length) cs.Env = env;

  const containerLabels = get("labels") ? labelMap(r, get("labels")!, `${path}.labels`) : {};
  cs.Labels = { ...containerLabels, [STACK_LABEL.namespace]: c.namespace };

  const mounts = [
    ...(get("volumes") ? convertVolumes(r, get("volumes")!, `${path}.volumes`, { projectDir: c.projectDir, home: c.home, volumeName: c.volumeName, service: name }) : []),
    ...(get("tmpfs") ? convertTmpfs(r, get("tmpfs")!, `${path}.tmpfs`, name) : []),
  ];
  if (mounts.length) cs.Mounts = mounts;

  const strField = (key: string, field: string) => {
    const v = get(key);
    if (v) cs[field] = r.str(v, `${path}.${key}`);
  };
  strField("working_dir", "Dir");
  strField("user", "User");
  strField("hostname", "Hostname");
  if (get("init")) cs.Init = r.bool(get("init")!, `${path}.init`);
  if (get("stop_grace_period")) cs.StopGracePeriod = r.duration(get("stop_grace_period")!, `${path}.stop_grace_period`);
  if (get("healthcheck")) {
    const hc = convertHealthcheck(r, get("healthcheck")!, `${path}.healthcheck`, name);
    if (hc) cs.Healthcheck = hc;
  }
  if (get("secrets")) {
    const refs = fileReferences(r, "secret", get("secrets")!, `${path}.secrets`, c.secrets);
    if (refs.length) cs.Secrets = refs;
  }
  if (get("configs")) {
    const refs = fileReferences(r, "config", get("configs")!, `${path}.configs`, c.configs);
    if (refs.length) cs.Configs = refs;
  }

  const task: Record<string, unknown> = { ContainerSpec: cs, ForceUpdate: 0 };
  if (onHost !== "no") task.Networks = [{ Target: "host" }];
  const nm = get("network_mode");
  if (nm) {
    const mode = r.str(nm, `${path}.network_mode`);
    if (mode === "host") task.Networks = [{ Target: "host" }];
    else if (mode !== undefined) unsupported.push(`network_mode (${mode})`);
  }

  const d = convertDeploy(r, get("deploy"), name, unsupported);
  if (d.constraints?.length) task.Placement = { Constraints: d.constraints };
  if (d.resources) task.Resources = d.resources;
  if (d.restart) task.RestartPolicy = d.restart;

  const ports = get("ports") ? convertPorts(r, get("ports")!, `${path}.ports`, name) : [];

  if (unsupported.length) r.issues.warn(`Ignoring unsupported options for service "${name}": ${unsupported.join(", ")}`);

  const spec: Omit<ServiceSpec, "TaskTemplate"> & { TaskTemplate: unknown } = {
    Name: scopedName(c.namespace, name),
    Labels: { ...d.labels, [STACK_LABEL.namespace]: c.namespace, [STACK_LABEL.image]: image ?? "" },
    TaskTemplate: task,
    Mode: d.mode,
    EndpointSpec: { Ports: ports },
    ...(d.update ? { UpdateConfig: d.update } : {}),
    ...(d.rollback ? { RollbackConfig: d.rollback } : {}),
  };
  return spec;
}

/** Whether a service's `networks:` (list or mapping) names the host's network, and only it. */
function attachedToHost(n: Node | undefined, host: ReadonlySet<string> | undefined): "no" | "only" | "also" {
  if (!n || !host?.size) return "no";
  const names = n.kind === "seq" ? n.items.flatMap((i) => (i.kind === "scalar" ? [String(i.value)] : [])) : n.kind === "map" ? [...n.entries.keys()] : [];
  const onHost = names.filter((x) => host.has(x)).length;
  return onHost === 0 ? "no" : onHost === names.length ? "only" : "also";
}

/** env_file entries (in order), then `environment` over them; sorted like Docker's `KEY=VALUE` list. */
function environment(r: Reader, s: MapNode, path: string, c: ServiceContext): string[] {
  const vars = new Map<string, string | null>();
  const ef = s.entries.get("env_file")?.value;
  if (ef) {
    const items = ef.kind === "seq" ? ef.items : [ef];
    items.forEach((it, i) => {
      const at = ef.kind === "seq" ? `${path}.env_file[${i}]` : `${path}.env_file`;
      let file: string | undefined;
      let required = true;
      if (it.kind === "map") {
        r.known(it, at, ["path", "required", "format"]);
        const p = it.entries.get("path")?.value;
        file = p ? r.str(p, `${at}.path`) : r.fail(it, at, "needs path:");
        const req = it.entries.get("required")?.value;
        if (req) required = r.bool(req, `${at}.required`) ?? true;
      } else file = r.str(it, at);
      if (file === undefined) return;
      const abs = posix.resolve(c.projectDir, file);
      const text = c.readFile(abs);
      if (text === undefined) {
        if (required) r.fail(it, at, `env file ${abs} not found`);
        return;
      }
      const parsed = parseDotenv(text, c.lookup);
      if (!parsed.ok) return void r.fail(it, at, `${abs} line ${parsed.line}: ${parsed.error}`);
      for (const [k, v] of parsed.vars) vars.set(k, v);
    });
  }
  const envNode = s.entries.get("environment")?.value;
  if (envNode) {
    const m = asKeyedMap(envNode);
    if (!m) r.fail(envNode, `${path}.environment`, "must be a mapping (KEY: value) or a list of KEY=value");
    else {
      for (const [k, e] of m.entries) {
        if (k === "" || /\s/.test(k)) {
          r.issues.error(e.keyPos, `${path}.environment: "${k}" is not a variable name`);
          continue;
        }
        const v = e.value;
        if (v.kind !== "scalar") {
          r.fail(v, `${path}.environment.${k}`, "must be a string, number or boolean");
          continue;
        }
        // `KEY:` or `- KEY` without a value: taken from the environment, as Docker does.
        vars.set(k, v.value === null ? (c.lookup(k) ?? null) : v.text);
      }
    }
  }
  return [...vars].map(([k, v]) => (v === null ? k : `${k}=${v}`)).sort();
}
