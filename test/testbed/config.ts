// Test bed configuration and the pure address/name plan derived from it. No I/O here.
//
// Layout of a bed named NAME with N hosts (host numbers are 1-based in names and on the CLI):
//   netns   stb-NAME-sw             the switch: bridge "br0" holding the gateway address (.1)
//   netns   stb-NAME-hK             host K: "eth0" = veth to the switch port "hK", address .(10+K)
//   netns   stb-NAME-c              a client namespace without an engine: "eth0" = veth "c", address .250
//   uts     STATE/hK/uts            host K's hostname ("hK")
//   cgroup  /swarm-testbed/NAME/hK  (every v1 hierarchy) all of host K's processes and containers
//   engine  STATE/hK/docker.sock    dockerd with data in STATE/hK/data, runtime state in STATE/hK/exec

import { TestbedError } from "./errors.ts";

export interface TestbedConfig {
  /** Bed name: [a-z0-9-], 1..32 chars. Beds with different names coexist. */
  name: string;
  /** Number of hosts, 1..MAX_HOSTS. */
  hosts: number;
  /** IPv4 subnet of the bed's LAN, prefix length 16..24. Exists only inside the bed's namespaces. */
  subnet: string;
  /** Parent of every bed's state directory. */
  stateRoot: string;
  /** Load the busybox test image into every engine during up. */
  loadImage: boolean;
  /** Appended to every dockerd's command line (e.g. ["--live-restore"]). */
  dockerdExtraArgs: string[];
  /**
   * Added to every dockerd's environment, at up and at every start (e.g.
   * { DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1" }: Swarm tasks skip the registry when the image is local).
   */
  dockerdEnv: Record<string, string>;
}

export const MAX_HOSTS = 32;

export function defaultConfig(): TestbedConfig {
  return {
    name: "dev",
    hosts: 3,
    // A private range unlikely to collide with anything; it never leaves the namespaces anyway.
    subnet: "10.77.0.0/24",
    stateRoot: "/run/swarm-testbed",
    loadImage: true,
    dockerdExtraArgs: [],
    dockerdEnv: {},
  };
}

function parseSubnet(subnet: string): { base: number; prefix: number } | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 16 || prefix > 24) return null;
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (addr & mask) >>> 0, prefix };
}

const ipString = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

/** A locally administered MAC derived from the address: stable across power cycles like real hardware. */
export const macFor = (ip: string): string =>
  ["02", "00", ...ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0"))].join(":");

/** Throws CONFIG_INVALID with what to change. Returns the config for chaining. */
export function validateConfig(c: TestbedConfig): TestbedConfig {
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(c.name)) {
    throw new TestbedError("CONFIG_INVALID", `bed name "${c.name}" must be 1-32 chars of [a-z0-9-], starting with a letter or digit`);
  }
  if (!Number.isInteger(c.hosts) || c.hosts < 1 || c.hosts > MAX_HOSTS) {
    throw new TestbedError("CONFIG_INVALID", `hosts must be an integer from 1 to ${MAX_HOSTS}, got ${c.hosts}`);
  }
  if (!parseSubnet(c.subnet)) {
    throw new TestbedError("CONFIG_INVALID", `subnet "${c.subnet}" must be an IPv4 CIDR with prefix /16 to /24, e.g. 10.77.0.0/24`);
  }
  if (!Array.isArray(c.dockerdExtraArgs) || c.dockerdExtraArgs.some((a) => typeof a !== "string")) {
    throw new TestbedError("CONFIG_INVALID", "dockerdExtraArgs must be an array of strings");
  }
  const env = c.dockerdEnv;
  if (typeof env !== "object" || env === null || Array.isArray(env) ||
      Object.entries(env).some(([k, v]) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || typeof v !== "string")) {
    throw new TestbedError("CONFIG_INVALID", "dockerdEnv must map variable names ([A-Za-z_][A-Za-z0-9_]*) to strings");
  }
  if (!c.stateRoot.startsWith("/")) {
    throw new TestbedError("CONFIG_INVALID", `stateRoot must be an absolute path, got "${c.stateRoot}"`);
  }
  return c;
}

export interface HostPlan {
  /** 0-based position in bed.hosts. */
  index: number;
  /** Hostname and switch port name: "h1", "h2", ... */
  name: string;
  netns: string;
  ip: string;
  dir: string;
  utsFile: string;
  socketPath: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  daemonJson: string;
  logFile: string;
  /** cgroup path relative to each v1 hierarchy root, e.g. "swarm-testbed/dev/h1". */
  cgroup: string;
  /** docker0's address: distinct per host so container IPs are unique across the bed. */
  bip: string;
  /** Pool for user-defined networks, also distinct per host. */
  addressPool: string;
  dockerdExtraArgs: string[];
  dockerdEnv: Record<string, string>;
}

export interface BedPlan {
  name: string;
  stateDir: string;
  prefix: number;
  gateway: string;
  switchNetns: string;
  /** Prefix shared by all of this bed's netns names; teardown removes every netns starting with it. */
  netnsPrefix: string;
  /** cgroup path of the whole bed relative to each hierarchy root. */
  cgroup: string;
  client: { name: string; netns: string; ip: string };
  hosts: HostPlan[];
}

export function plan(c: TestbedConfig): BedPlan {
  validateConfig(c);
  const { base, prefix } = parseSubnet(c.subnet)!;
  const stateDir = `${c.stateRoot}/${c.name}`;
  const netnsPrefix = `stb-${c.name}-`;
  const cgroup = `swarm-testbed/${c.name}`;
  const hosts: HostPlan[] = [];
  for (let i = 0; i < c.hosts; i++) {
    const name = `h${i + 1}`;
    const dir = `${stateDir}/${name}`;
    hosts.push({
      index: i,
      name,
      netns: `${netnsPrefix}${name}`,
      ip: ipString(base + 10 + i + 1),
      dir,
      utsFile: `${dir}/uts`,
      socketPath: `${dir}/docker.sock`,
      dataRoot: `${dir}/data`,
      execRoot: `${dir}/exec`,
      pidFile: `${dir}/exec/dockerd.pid`,
      daemonJson: `${dir}/daemon.json`,
      logFile: `${dir}/dockerd.log`,
      cgroup: `${cgroup}/${name}`,
      bip: `172.20.${i + 1}.1/24`,
      addressPool: `base=172.21.${(i + 1) * 4}.0/22,size=26`,
      dockerdExtraArgs: [...c.dockerdExtraArgs],
      dockerdEnv: { ...c.dockerdEnv },
    });
  }
  return {
    name: c.name,
    stateDir,
    prefix,
    gateway: ipString(base + 1),
    switchNetns: `${netnsPrefix}sw`,
    netnsPrefix,
    cgroup,
    client: { name: "c", netns: `${netnsPrefix}c`, ip: ipString(base + 250) },
    hosts,
  };
}
