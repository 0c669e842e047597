/**
 * `ports:` in both forms. Short: `[host_ip:][published[-end]:]target[-end][/protocol]`; ranges expand
 * to one port each (equal lengths). Long: `{target, published, protocol, mode}`. A host IP cannot be
 * honoured by a service (the routing mesh answers on every address): it is ignored with a warning.
 */
import type { PortConfig } from "../api/index.ts";
import type { Reader } from "./read.ts";
import type { Node } from "./tree.ts";

const LONG_KEYS = ["target", "published", "protocol", "mode", "host_ip", "name", "app_protocol"] as const;

export function convertPorts(r: Reader, n: Node, path: string, service: string): PortConfig[] {
  if (n.kind !== "seq") return r.fail(n, path, "must be a list such as [\"8080:80\"]") ?? [];
  const out: PortConfig[] = [];
  n.items.forEach((it, i) => {
    const at = `${path}[${i}]`;
    if (it.kind === "map") {
      r.known(it, at, LONG_KEYS);
      const get = (k: string) => it.entries.get(k)?.value;
      const target = get("target");
      if (!target) return void r.fail(it, at, "a port needs target: (the port inside the container)");
      const t = r.int(target, `${at}.target`, 1, 65535);
      const pub = get("published");
      const p = pub ? r.int(pub, `${at}.published`, 0, 65535) : 0;
      const proto = get("protocol") ? r.str(get("protocol")!, `${at}.protocol`) : "tcp";
      const mode = get("mode") ? r.str(get("mode")!, `${at}.mode`) : "ingress";
      if (proto !== undefined && proto !== "tcp" && proto !== "udp") return void r.fail(get("protocol")!, `${at}.protocol`, `must be tcp or udp, not "${proto}"`);
      if (mode !== undefined && mode !== "ingress" && mode !== "host") return void r.fail(get("mode")!, `${at}.mode`, `must be ingress or host, not "${mode}"`);
      for (const k of ["host_ip", "name", "app_protocol"]) if (it.entries.has(k)) r.issues.warn(`service "${service}": ignoring unsupported option ${at}.${k}`);
      if (t !== undefined && p !== undefined && proto && mode) out.push({ Protocol: proto, TargetPort: t, PublishedPort: p, PublishMode: mode });
      return;
    }
    const s = r.str(it, at);
    if (s === undefined) return;
    const parsed = parseShortPort(s);
    if (typeof parsed === "string") return void r.fail(it, at, parsed);
    if (parsed.hostIp) r.issues.warn(`service "${service}": ignoring the host IP ${parsed.hostIp} of ${at} (a published port answers on every address of every node)`);
    out.push(...parsed.ports);
  });
  return out;
}

function range(s: string): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return [a, b];
}

export function parseShortPort(s: string): { ports: PortConfig[]; hostIp?: string } | string {
  let rest = s;
  let proto = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    proto = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (proto !== "tcp" && proto !== "udp") return `invalid port "${s}": the protocol must be tcp or udp`;
  }
  let hostIp: string | undefined;
  // [host_ip:]published:target — an IPv6 host IP is written in brackets.
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2]!;
  }
  const parts = rest.split(":");
  if (parts.length === 3) {
    hostIp = parts.shift();
  }
  if (parts.length > 2 || rest === "") return `invalid port "${s}": expected [published:]target[/protocol], e.g. "8080:80"`;
  const target = range(parts[parts.length - 1]!);
  const published = parts.length === 2 && parts[0] !== "" ? range(parts[0]!) : undefined;
  if (!target || (parts.length === 2 && parts[0] !== "" && !published)) return `invalid port "${s}": ports are numbers, e.g. "8080:80" or "80"`;
  const [t0, t1] = target;
  if (t0 < 1 || t1 > 65535 || t1 < t0) return `invalid port "${s}": a port is between 1 and 65535 (a range low-high)`;
  if (published) {
    const [p0, p1] = published;
    if (p0 < 1 || p1 > 65535 || p1 < p0) return `invalid port "${s}": a port is between 1 and 65535 (a range low-high)`;
    if (p1 - p0 !== t1 - t0) return `invalid port "${s}": the published and target ranges have different lengths`;
  }
  const ports: PortConfig[] = [];
  for (let i = 0; i <= t1 - t0; i++) {
    ports.push({ Protocol: proto as "tcp" | "udp", TargetPort: t0 + i, PublishedPort: published ? published[0] + i : 0, PublishMode: "ingress" });
  }
  return { ports, hostIp: hostIp === "" ? undefined : hostIp };
}
