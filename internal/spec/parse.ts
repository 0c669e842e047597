/**
 * Parsers for the values of `service create/update` flags. Pure; every bad value throws a
 * SwarmError INVALID_ARGUMENT whose message names the flag and the accepted form, like Docker's.
 */
import { SwarmError, type Mount, type PortConfig } from "../api/index.ts";

const bad = (msg: string) => SwarmError.invalid(msg);

/** Go-style durations as Docker accepts them: "10s", "1m30s", "500ms", "1h". Returns nanoseconds. */
export function parseDuration(flag: string, value: string): number {
  const unit: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  if (value === "0") return 0;
  let total = 0;
  let pos = 0;
  while (pos < value.length) {
    re.lastIndex = pos;
    const m = re.exec(value);
    if (!m) break;
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== value.length || value.length === 0) {
    throw bad(`invalid argument "${value}" for "${flag}" flag: time: invalid duration "${value}" (use e.g. 5s, 1m30s, 500ms)`);
  }
  return Math.round(total);
}

/** "1.5" CPUs → NanoCPUs. */
export function parseCpus(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n <= 0) {
    throw bad(`invalid argument "${value}" for "${flag}" flag: expected a positive number of CPUs such as 0.5 or 2`);
  }
  // Docker's smallest CPU quota; a smaller value would round to 0, which means no limit at all.
  if (n < 0.01) throw bad(`invalid argument "${value}" for "${flag}" flag: the smallest CPU value is 0.01`);
  if (n > 4096) throw bad(`invalid argument "${value}" for "${flag}" flag: at most 4096 CPUs`);
  return Math.round(n * 1e9);
}

/** "512m", "1g", "1048576" → bytes. */
export function parseBytes(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(value);
  if (!m) throw bad(`invalid argument "${value}" for "${flag}" flag: expected a size such as 512m or 1g`);
  const mult: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const bytes = Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
  if (bytes <= 0) throw bad(`invalid argument "${value}" for "${flag}" flag: the size must be positive`);
  return bytes;
}

/**
 * Replicas of one service. Every replica is a task in the replicated state from the moment the service
 * is created, placed or not: measured on a one-node cluster with a constraint nothing meets, 10,000
 * pending replicas cost 0.2 s to accept and ~90 MB, 100,000 cost 2.3 s, 1.7 GB and several cores
 * (issue 11, defect 10). Until pending tasks are created lazily, the count is capped here.
 */
export const MAX_REPLICAS = 10_000;

export function parseReplicas(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw bad(`invalid replicas value "${value}": expected a non-negative integer`);
  }
  const n = Number(value);
  if (n > MAX_REPLICAS) throw bad(`invalid replicas value "${value}": at most ${MAX_REPLICAS} replicas per service (every replica is a task the managers keep, placed or not)`);
  return n;
}

function parsePortNumber(what: string, s: string, spec: string, allowZero: boolean): number {
  if (!/^\d+$/.test(s)) throw bad(`invalid port "${spec}": ${what} "${s}" is not a number`);
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) {
    throw bad(`invalid port "${spec}": ${what} ${n} is out of range (1-65535)`);
  }
  return n;
}

/**
 * `-p/--publish`: short `[published:]target[/proto]` or long `published=P,target=T,protocol=udp,mode=host`.
 * PublishedPort 0 means "allocate one" (the manager picks from 30000 up).
 */
export function parsePublish(value: string): PortConfig {
  if (value.includes("=")) {
    const out: Partial<PortConfig> = { Protocol: "tcp", PublishMode: "ingress", PublishedPort: 0 };
    for (const part of value.split(",")) {
      const [k, v] = part.split("=", 2) as [string, string | undefined];
      if (v === undefined) throw bad(`invalid publish "${value}": "${part}" is not key=value`);
      switch (k.trim()) {
        case "published":
          out.PublishedPort = parsePortNumber("published port", v, value, false);
          break;
        case "target":
          out.TargetPort = parsePortNumber("target port", v, value, false);
          break;
        case "protocol":
          if (v !== "tcp" && v !== "udp") throw bad(`invalid publish "${value}": protocol must be tcp or udp`);
          out.Protocol = v;
          break;
        case "mode":
          if (v !== "ingress" && v !== "host") throw bad(`invalid publish "${value}": mode must be ingress or host`);
          out.PublishMode = v;
          break;
        default:
          throw bad(`invalid publish "${value}": unknown field "${k}" (use published, target, protocol, mode)`);
      }
    }
    if (out.TargetPort === undefined) throw bad(`invalid publish "${value}": target= is required`);
    return out as PortConfig;
  }
  const m = /^(?:(\d*):)?(\d*)(?:\/(\w+))?$/.exec(value);
  if (!m) throw bad(`invalid publish "${value}": expected [published:]target[/tcp|udp]`);
  const [, pub, target, proto = "tcp"] = m;
  if (proto !== "tcp" && proto !== "udp") throw bad(`invalid publish "${value}": protocol must be tcp or udp`);
  if (!target) throw bad(`invalid publish "${value}": the target port is missing`);
  return {
    Protocol: proto,
    TargetPort: parsePortNumber("target port", target, value, false),
    PublishedPort: pub ? parsePortNumber("published port", pub, value, false) : 0,
    PublishMode: "ingress",
  };
}

/** `--mount type=bind,src=/a,dst=/b,readonly`. */
export function parseMount(value: string): Mount {
  const kv: Record<string, string> = {};
  for (const part of value.split(",")) {
    const i = part.indexOf("=");
    const k = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    kv[k] = i < 0 ? "true" : part.slice(i + 1);
  }
  const type = kv.type ?? "volume";
  if (type !== "bind" && type !== "volume" && type !== "tmpfs") {
    throw bad(`invalid mount "${value}": type must be bind, volume or tmpfs`);
  }
  const src = kv.src ?? kv.source;
  const dst = kv.dst ?? kv.destination ?? kv.target;
  const known = new Set(["type", "src", "source", "dst", "destination", "target", "readonly", "ro"]);
  for (const k of Object.keys(kv)) {
    if (!known.has(k)) throw bad(`invalid mount "${value}": unknown field "${k}"`);
  }
  if (!dst) throw bad(`invalid mount "${value}": dst= (the path in the container) is required`);
  if (!dst.startsWith("/")) throw bad(`invalid mount "${value}": dst must be an absolute path`);
  if (type === "bind") {
    if (!src) throw bad(`invalid mount "${value}": a bind mount needs src= (a path on the host)`);
    if (!src.startsWith("/")) throw bad(`invalid mount "${value}": a bind mount's src must be an absolute host path`);
  }
  if (type === "tmpfs" && src) throw bad(`invalid mount "${value}": a tmpfs mount takes no src`);
  if (type === "volume" && src && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(src)) {
    throw bad(`invalid mount "${value}": "${src}" is not a valid volume name`);
  }
  const ro = kv.readonly ?? kv.ro;
  const mount: Mount = { Type: type, Target: dst };
  if (src) mount.Source = src;
  if (ro !== undefined && ro !== "false" && ro !== "0") mount.ReadOnly = true;
  return mount;
}

/** `KEY=VALUE` for labels and env. An env entry without `=` is kept as-is (Docker passes it through). */
export function parseKeyValue(flag: string, value: string): [string, string] {
  const i = value.indexOf("=");
  const k = i < 0 ? value : value.slice(0, i);
  if (!k || /\s/.test(k)) throw bad(`invalid argument "${value}" for "${flag}": expected KEY=VALUE`);
  return [k, i < 0 ? "" : value.slice(i + 1)];
}

/** Service names: Docker's rules (letters, digits, - _ .; start with a letter or digit; ≤ 63). */
export function validateServiceName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(name) || /^\d+$/.test(name)) {
    throw bad(
      `invalid name "${name}": use 1-63 letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  }
}
