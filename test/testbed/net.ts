// The bed's network: a switch namespace holding bridge br0 (the root namespace's FORWARD policy never
// sees this traffic), one namespace per host and one client namespace, each plugged into br0 by a veth.
// Partitions are a bridge-family nft table in the switch namespace: silent drops, no resets.

import { existsSync } from "node:fs";
import { macFor, type BedPlan } from "./config.ts";
import { run, runOk } from "./run.ts";

export const NFT_TABLE = "swarm_testbed";

const switchTable = `
table bridge ${NFT_TABLE} {
  set isolated { type ifname; }
  set cut { type ifname . ifname; }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname @isolated drop
    oifname @isolated drop
    iifname . oifname @cut drop
  }
  chain input { type filter hook input priority 0; policy accept; iifname @isolated drop; }
  chain output { type filter hook output priority 0; policy accept; oifname @isolated drop; }
}
`;

export const netnsPath = (ns: string): string => `/run/netns/${ns}`;

/** Runs argv inside network namespace ns (no other namespace, no /sys remount). */
export function inNetns(ns: string, argv: readonly string[]): string[] {
  return ["nsenter", `--net=${netnsPath(ns)}`, "--", ...argv];
}

export async function listNetns(prefix: string): Promise<string[]> {
  const out = await runOk(["ip", "netns", "list"]);
  return out.split("\n").map((l) => l.split(" ")[0]!.trim()).filter((n) => n.startsWith(prefix));
}

export async function createSwitch(p: BedPlan): Promise<void> {
  const sw = p.switchNetns;
  await runOk(["ip", "netns", "add", sw]);
  await runOk(["ip", "-n", sw, "link", "set", "lo", "up"]);
  await runOk(["ip", "-n", sw, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await runOk(["ip", "-n", sw, "addr", "add", `${p.gateway}/${p.prefix}`, "dev", "br0"]);
  await runOk(["ip", "-n", sw, "link", "set", "br0", "up"]);
  // A switch does not run netfilter: with br_netfilter loaded (Docker loads it) every frame crossing
  // br0 would go through the IP hooks, a per-hop cost no real LAN has (partitions use the bridge family).
  for (const k of ["iptables", "ip6tables", "arptables"]) await run(inNetns(sw, ["sysctl", "-q", "-w", `net.bridge.bridge-nf-call-${k}=0`]));
  await runOk(inNetns(sw, ["nft", "-f", "-"]), { stdin: switchTable });
}

/**
 * Creates namespace `ns` if missing and plugs it into the switch as port `port` with `ip`.
 * Precondition: the port does not exist yet (a fresh or unplugged host).
 */
export async function plugHost(p: BedPlan, ns: string, port: string, ip: string): Promise<void> {
  if (!existsSync(netnsPath(ns))) await runOk(["ip", "netns", "add", ns]);
  await runOk(["ip", "-n", ns, "link", "set", "lo", "up"]);
  await runOk(["ip", "-n", p.switchNetns, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await runOk(["ip", "-n", p.switchNetns, "link", "set", port, "master", "br0", "up"]);
  // A fixed MAC: after a power cycle, peers' ARP caches are still right (as with real hardware).
  await runOk(["ip", "-n", ns, "link", "set", "eth0", "address", macFor(ip)]);
  await runOk(["ip", "-n", ns, "addr", "add", `${ip}/${p.prefix}`, "dev", "eth0"]);
  await runOk(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  await runOk(["ip", "-n", ns, "route", "add", "default", "via", p.gateway]);
}

/** True when the host's switch port exists (the host is plugged in). */
export async function isPlugged(p: BedPlan, port: string): Promise<boolean> {
  if (!existsSync(netnsPath(p.switchNetns))) return false;
  return (await run(["ip", "-n", p.switchNetns, "link", "show", port])).code === 0;
}

/** Removes the switch port (and with it the host's end of the veth, synchronously). Idempotent. */
export async function unplug(p: BedPlan, port: string): Promise<void> {
  if (await isPlugged(p, port)) await runOk(["ip", "-n", p.switchNetns, "link", "del", port]);
}

/** Deletes namespace ns (and with it every interface inside it, including its veth). Idempotent. */
export async function deleteNetns(ns: string): Promise<void> {
  if (existsSync(netnsPath(ns))) await runOk(["ip", "netns", "del", ns]);
}

async function setElements(p: BedPlan, set: "isolated" | "cut"): Promise<string[][]> {
  const out = await runOk(inNetns(p.switchNetns, ["nft", "-j", "list", "set", "bridge", NFT_TABLE, set]));
  const parsed = JSON.parse(out) as { nftables: Array<{ set?: { elem?: Array<string | { concat: string[] }> } }> };
  const elems = parsed.nftables.find((e) => e.set)?.set?.elem ?? [];
  return elems.map((e) => (typeof e === "string" ? [e] : e.concat));
}

const quoteElem = (parts: string[]): string => parts.map((x) => `"${x}"`).join(" . ");

async function changeSet(p: BedPlan, op: "add" | "delete", set: "isolated" | "cut", elems: string[][]): Promise<void> {
  if (elems.length === 0) return;
  const body = elems.map(quoteElem).join(", ");
  await runOk(inNetns(p.switchNetns, ["nft", op, "element", "bridge", NFT_TABLE, set, `{ ${body} }`]));
}

/** Isolates these switch ports from everything (frames to and from them are dropped). Idempotent. */
export async function isolate(p: BedPlan, ports: string[]): Promise<void> {
  const have = new Set((await setElements(p, "isolated")).map((e) => e[0]));
  await changeSet(p, "add", "isolated", ports.filter((x) => !have.has(x)).map((x) => [x]));
}

/** Drops frames between every port of `a` and every port of `b`, both ways. Idempotent. */
export async function cutBetween(p: BedPlan, a: string[], b: string[]): Promise<void> {
  const have = new Set((await setElements(p, "cut")).map((e) => e.join("|")));
  const want: string[][] = [];
  for (const x of a) for (const y of b) if (x !== y) want.push([x, y], [y, x]);
  await changeSet(p, "add", "cut", want.filter((e) => !have.has(e.join("|"))));
}

/** Removes every drop that involves this port (isolation and cuts). Idempotent. */
export async function healPort(p: BedPlan, port: string): Promise<void> {
  const iso = (await setElements(p, "isolated")).filter((e) => e[0] === port);
  await changeSet(p, "delete", "isolated", iso);
  const cuts = (await setElements(p, "cut")).filter((e) => e.includes(port));
  await changeSet(p, "delete", "cut", cuts);
}

/** Ports currently isolated, and ports that have at least one cut. */
export async function partitionState(p: BedPlan): Promise<{ isolated: Set<string>; cut: Set<string> }> {
  const isolated = new Set((await setElements(p, "isolated")).map((e) => e[0]!));
  const cut = new Set((await setElements(p, "cut")).flat());
  return { isolated, cut };
}
