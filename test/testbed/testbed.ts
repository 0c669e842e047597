// The bed: N hosts on one switch, each with its own engine, plus fault injection.
// Contract: methods taking a host accept its 0-based index in bed.hosts or the TestbedHost itself.
// Every method is safe to call twice (partition an isolated host, start a running one, down twice).

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { buildBusyboxImageTar, loadImageTar, type BusyboxImage } from "../fixtures/busybox-image/index.ts";
import { defaultConfig, plan, validateConfig, type BedPlan, type HostPlan, type TestbedConfig } from "./config.ts";
import { ensureFreezerCgroup, freezerAvailable, killSubtree, pidsInSubtree } from "./cgroup.ts";
import { engineAnswers, killEngine, startEngine, waitEngine } from "./engine.ts";
import { TestbedError } from "./errors.ts";
import { Place, TestbedHost } from "./host.ts";
import { mountsUnder, unmountUnder } from "./mounts.ts";
import { createSwitch, cutBetween, deleteNetns, healPort, isolate, isPlugged, netnsPath, partitionState, plugHost, unplug } from "./net.ts";
import { haveTool, runOk } from "./run.ts";
import { bedIds, killNetnsStrays, leftovers, removeShimSockets, teardownBed, type Leftovers } from "./teardown.ts";

export type TestbedOptions = Partial<TestbedConfig>;
export type HostRef = number | TestbedHost;

export interface HostStatus {
  name: string;
  ip: string;
  /** false after poweroff (until start). */
  powered: boolean;
  /** The engine answers /_ping. */
  engine: boolean;
  /** Isolated, or cut from at least one other host. */
  partitioned: boolean;
  /** Processes in the host's cgroup (engine, shims, containers, exec'd commands). */
  processes: number;
}

const REQUIRED_TOOLS = ["dockerd", "containerd", "docker", "nsenter", "unshare", "ip", "nft", "umount"];

/** Why a bed cannot run here (not root, a missing tool or cgroup v1 freezer), or null if it can. */
export function unsupportedReason(): string | null {
  if (process.platform !== "linux") return "the test bed needs Linux";
  if (process.getuid?.() !== 0) return "the test bed needs root (network namespaces, cgroups, dockerd)";
  const missing = REQUIRED_TOOLS.filter((t) => !haveTool(t));
  if (missing.length > 0) return `missing tools: ${missing.join(", ")} (install docker.io, iproute2, nftables, util-linux)`;
  if (!freezerAvailable()) return "no cgroup v1 freezer at /sys/fs/cgroup/freezer (poweroff needs it)";
  return null;
}

const stateFile = (stateDir: string): string => `${stateDir}/bed.json`;

export class Testbed implements AsyncDisposable {
  readonly name: string;
  readonly hosts: readonly TestbedHost[];
  /** A namespace on the LAN without an engine, for clients outside every host (address .250). */
  readonly client: Place;

  private constructor(
    readonly config: TestbedConfig,
    readonly plan: BedPlan,
    /** The busybox image loaded on every host (null when up ran with loadImage: false). */
    readonly image: BusyboxImage | null,
  ) {
    this.name = config.name;
    this.hosts = plan.hosts.map((h) => new TestbedHost(h));
    this.client = new Place(plan.client.name, plan.client.ip, plan.client.netns, `${plan.cgroup}/${plan.client.name}`, null);
  }

  /**
   * Creates a bed (first tearing down any stale bed with the same name) and waits until every
   * engine answers and has the busybox image. On failure, everything created is torn down.
   */
  static async up(opts: TestbedOptions = {}): Promise<Testbed> {
    const config = validateConfig({ ...defaultConfig(), ...opts, name: prefixed(opts.name ?? defaultConfig().name) });
    const reason = unsupportedReason();
    if (reason) throw new TestbedError(reason.includes("root") ? "NOT_ROOT" : "MISSING_TOOL", reason);
    const p = plan(config);
    await teardownBed(bedIds(config.stateRoot, config.name));
    try {
      mkdirSync(p.stateDir, { recursive: true });
      writeFileSync(stateFile(p.stateDir), JSON.stringify(config, null, 2));
      const image = config.loadImage ? await buildBusyboxImageTar(`${p.stateDir}/busybox.tar`) : null;
      await createSwitch(p);
      ensureFreezerCgroup(`${p.cgroup}/${p.client.name}`);
      await plugHost(p, p.client.netns, p.client.name, p.client.ip);
      for (const h of p.hosts) {
        mkdirSync(h.dir, { recursive: true });
        await ensureUts(h);
        await plugHost(p, h.netns, h.name, h.ip);
      }
      const started = p.hosts.map((h) => startEngine(h));
      await Promise.all(p.hosts.map((h, i) => waitEngine(h, started[i])));
      if (image) await Promise.all(p.hosts.map((h) => loadImageTar(h.socketPath, image.tarPath)));
      return new Testbed(config, p, image);
    } catch (e) {
      await teardownBed(bedIds(config.stateRoot, config.name));
      throw e;
    }
  }

  /** A handle on a bed that `up` created earlier (e.g. in another process). Throws NOT_UP. */
  static attach(opts: { name?: string; stateRoot?: string } = {}): Testbed {
    const d = defaultConfig();
    const dir = `${opts.stateRoot ?? d.stateRoot}/${prefixed(opts.name ?? d.name)}`;
    if (!existsSync(stateFile(dir))) throw new TestbedError("NOT_UP", `no test bed at ${dir}: run \`scripts/testbed up N\` first`);
    const saved = JSON.parse(readFileSync(stateFile(dir), "utf8")) as Partial<TestbedConfig>;
    const config = validateConfig({ ...defaultConfig(), ...saved });
    return new Testbed(config, plan(config), null);
  }

  /** Tears down the bed with this name, whatever state it is in. Idempotent. */
  static async destroy(opts: { name?: string; stateRoot?: string } = {}): Promise<void> {
    const d = defaultConfig();
    await teardownBed(bedIds(opts.stateRoot ?? d.stateRoot, prefixed(opts.name ?? d.name)));
  }

  /** What a bed with this name left behind (all empty after down). */
  static leftovers(opts: { name?: string; stateRoot?: string } = {}): Promise<Leftovers> {
    const d = defaultConfig();
    return leftovers(bedIds(opts.stateRoot ?? d.stateRoot, opts.name ?? d.name));
  }

  host(ref: HostRef): TestbedHost {
    const i = typeof ref === "number" ? ref : ref.index;
    const h = this.hosts[i];
    if (!h || (typeof ref !== "number" && h !== ref && h.name !== ref.name)) {
      throw new TestbedError("NO_SUCH_HOST", `no host ${String(typeof ref === "number" ? ref : ref.name)}: this bed has hosts 0..${this.hosts.length - 1} (h1..h${this.hosts.length})`);
    }
    return h;
  }

  /** Silently drops every frame to and from the host (it stays up and keeps its state). */
  async partition(ref: HostRef): Promise<void> {
    await isolate(this.plan, [this.host(ref).name]);
  }

  /** Silently drops frames between each host of `a` and each host of `b` (e.g. a split brain). */
  async cut(a: readonly HostRef[], b: readonly HostRef[]): Promise<void> {
    await cutBetween(this.plan, a.map((r) => this.host(r).name), b.map((r) => this.host(r).name));
  }

  /** Undoes partition() and every cut() involving the host. */
  async heal(ref: HostRef): Promise<void> {
    await healPort(this.plan, this.host(ref).name);
  }

  /** The engine crashes: SIGKILL dockerd and containerd. Shims and containers keep running. */
  async kill(ref: HostRef): Promise<void> {
    await killEngine(this.host(ref).plan);
  }

  /**
   * Power failure: every process of the host dies at once (frozen, then SIGKILLed), then the host is
   * "rebooted to off": its network namespace (interfaces, iptables, docker0) and the engine's runtime
   * state (exec-root, like a tmpfs /run) are gone; its data-root (images, containers) survives like a
   * disk. Unplugged from the switch, so peers see silence, not resets. start() boots it.
   */
  async poweroff(ref: HostRef): Promise<void> {
    const h = this.host(ref).plan;
    await killSubtree(h.cgroup);
    await killNetnsStrays([netnsPath(h.netns)]);
    await unmountUnder(h.dir);
    removeShimSockets(h.dir);
    rmSync(h.execRoot, { recursive: true, force: true });
    rmSync(h.socketPath, { force: true });
    await unplug(this.plan, h.name); // synchronous, unlike the veth's death with its namespace
    await deleteNetns(h.netns);
  }

  /** Boots a powered-off host and/or restarts a killed engine; waits until it answers. Idempotent. */
  async start(ref: HostRef): Promise<void> {
    const h = this.host(ref).plan;
    if (!(await isPlugged(this.plan, h.name))) {
      await ensureUts(h);
      await plugHost(this.plan, h.netns, h.name, h.ip);
    }
    if (await engineAnswers(h)) return;
    await killEngine(h); // a half-started engine, if any
    await waitEngine(h, startEngine(h));
  }

  async status(): Promise<HostStatus[]> {
    const parts = await partitionState(this.plan).catch(() => ({ isolated: new Set<string>(), cut: new Set<string>() }));
    return Promise.all(this.plan.hosts.map(async (h) => ({
      name: h.name,
      ip: h.ip,
      powered: await isPlugged(this.plan, h.name),
      engine: await engineAnswers(h),
      partitioned: parts.isolated.has(h.name) || parts.cut.has(h.name),
      processes: pidsInSubtree(h.cgroup).length,
    })));
  }

  /** Removes everything: processes, mounts, namespaces, cgroups, the state dir. Idempotent. */
  async down(): Promise<void> {
    await teardownBed(bedIds(this.config.stateRoot, this.name));
  }

  leftovers(): Promise<Leftovers> {
    return leftovers(bedIds(this.config.stateRoot, this.name));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}

/** Gives the host a persistent UTS namespace with hostname = its name. Idempotent. */
async function ensureUts(h: HostPlan): Promise<void> {
  if (mountsUnder(h.utsFile).length > 0) return;
  mkdirSync(h.dir, { recursive: true });
  writeFileSync(h.utsFile, "");
  await runOk(["unshare", `--uts=${h.utsFile}`, "hostname", h.name]);
}

/**
 * `SWARM_TESTBED_PREFIX` (e.g. "across-") is put before every bed name, so people sharing a machine
 * can run the same tests at once without tearing down each other's beds.
 */
export function prefixed(name: string): string {
  const p = process.env.SWARM_TESTBED_PREFIX ?? "";
  return name.startsWith(p) ? name : `${p}${name}`;
}
