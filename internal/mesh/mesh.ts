// The routing mesh of one node: render the desired ruleset, apply it through the chosen backend(s).
//
// Who calls it: the agent, on every change of published services or their running tasks (anywhere in
// the cluster), with the COMPLETE current lists — update() is declarative and idempotent. Applies never
// overlap; callers may fire updates without awaiting the previous one, and a burst coalesces into the
// newest state. The first
// update replaces whatever a previous agent left. clear() removes every rule and listener and stays
// open. close() (`swarm leave`) removes every rule and listener; release() (agent shutdown) closes
// the listeners of this process and leaves the kernel rules serving until the next agent's first
// update replaces them. After close() or release() the mesh refuses updates.

import type { Backend } from './backend.ts';
import { chooseBackend, probeKernel, type KernelSupport } from './detect.ts';
import { MeshError } from './errors.ts';
import { IpvsBackend, NftablesBackend } from './kernel-backends.ts';
import { defaultRenderOptions, renderRuleset, validateRenderOptions } from './render.ts';
import { spawnRunner, type CommandRunner } from './runner.ts';
import { silentLogger, type BackendChoice, type BackendName, type Endpoint, type Logger, type PublishedService, type RenderOptions, type Ruleset } from './types.ts';
import { UserspaceBackend } from './userspace-backend.ts';

export interface MeshConfig {
  /** 'auto' (default) picks IPVS, then nftables, then userspace. */
  backend?: BackendChoice;
  logger?: Logger;
  /** Runs nft/ipvsadm/sysctl. Default: spawn processes. */
  runner?: CommandRunner;
  /** Render options (table name, marks, loopback mode); defaults from defaultRenderOptions(). */
  render?: Partial<RenderOptions>;
  /** Skip probing (tests, or a caller that probed already). */
  support?: KernelSupport;
  /** Replace the real backends (tests: FakeBackend). Receives the chosen backend name. */
  makeBackends?: (name: BackendName) => Backend[];
}

export interface Mesh {
  readonly backendName: BackendName;
  update(services: PublishedService[], endpoints: Endpoint[]): Promise<void>;
  /** Removes every swarm rule and listener (what a previous agent left included); stays usable. */
  clear(): Promise<void>;
  close(): Promise<void>;
  /** Stops this process's listeners; kernel rules stay for the next agent to adopt. */
  release(): Promise<void>;
  /** The last ruleset applied successfully (null before the first update). */
  readonly applied: Ruleset | null;
}

class MeshImpl implements Mesh {
  applied: Ruleset | null = null;
  /** The newest state asked for; the apply loop converges on it ("latest wins"). */
  private desired: Ruleset | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private clearing: Promise<void> | null = null;

  constructor(
    readonly backendName: BackendName,
    private readonly backends: Backend[],
    private readonly opts: RenderOptions,
  ) {}

  /**
   * Resolves once the node holds this state or a newer one asked for meanwhile (bursts of updates
   * coalesce: intermediate states may never be applied). Rejects if an apply fails on the way; the
   * next update retries.
   */
  update(services: PublishedService[], endpoints: Endpoint[]): Promise<void> {
    if (this.closed) return Promise.reject(MeshError.closed());
    // Render now so bad input fails this call (rejected promise), not a later one.
    try {
      this.desired = renderRuleset(this.backendName, services, endpoints, this.opts);
    } catch (e) {
      return Promise.reject(e);
    }
    this.running ??= this.converge();
    return this.running;
  }

  clear(): Promise<void> {
    if (this.closed) return Promise.reject(MeshError.closed());
    this.desired = null;
    const run = (async () => {
      await this.running?.catch(() => undefined);
      const errors: unknown[] = [];
      for (const b of [...this.backends].reverse()) await b.clear().catch((e) => errors.push(e));
      this.applied = null;
      if (errors.length > 0) throw errors[0];
    })();
    // An update asked for meanwhile applies after the clear (converge waits for it).
    const done = run.catch(() => undefined).then(() => {
      if (this.clearing === done) this.clearing = null;
    });
    this.clearing = done;
    return run;
  }

  release(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await this.running?.catch(() => undefined);
      for (const b of this.backends) await b.release?.().catch(() => undefined);
    })();
    return this.closing;
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await this.running?.catch(() => undefined);
      const errors: unknown[] = [];
      for (const b of [...this.backends].reverse()) await b.clear().catch((e) => errors.push(e));
      this.applied = null;
      if (errors.length > 0) throw errors[0];
    })();
    return this.closing;
  }

  private async converge(): Promise<void> {
    try {
      if (this.clearing) await this.clearing;
      while (this.desired && !(this.applied && JSON.stringify(this.applied) === JSON.stringify(this.desired))) {
        const target = this.desired;
        try {
          for (const b of this.backends) await b.apply(target);
        } catch (e) {
          // The node may now be half-way: forget what we think is applied so the next update re-applies.
          this.applied = null;
          throw e;
        }
        this.applied = target;
      }
    } finally {
      // Synchronously after the last check: an update arriving later starts a new loop.
      this.running = null;
    }
  }
}

function realBackends(name: BackendName, runner: CommandRunner, opts: RenderOptions): Backend[] {
  switch (name) {
    case 'userspace':
      return [new UserspaceBackend()];
    case 'nftables':
      return [new NftablesBackend(runner, opts), new UserspaceBackend()];
    case 'ipvs':
      return [new IpvsBackend(runner, opts), new UserspaceBackend()];
  }
}

/**
 * Removes what a previous run with ANOTHER backend may have left (a node switched from IPVS to
 * nftables, or to userspace): IPVS services in the swarm fwmark range, and the nft table / FORWARD
 * rule when no kernel backend is used any more. The chosen backend's own state is not touched here:
 * its first apply replaces it atomically, so traffic keeps flowing across an agent restart.
 */
async function clearLeftovers(chosen: BackendName, support: KernelSupport, runner: CommandRunner, opts: RenderOptions, logger: Logger): Promise<void> {
  try {
    if (chosen !== 'ipvs' && support.ipvs.ok && support.nftables.ok) {
      const ipvs = new IpvsBackend(runner, opts);
      if (chosen === 'userspace') await ipvs.clear();
      else await ipvs.clearServicesOnly();
    } else if (chosen === 'userspace' && support.nftables.ok) {
      await new NftablesBackend(runner, opts).clear();
    }
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'routing mesh: could not remove rules left by another backend');
  }
}

/**
 * Probes the kernel, picks the backend (logged once, with the reason when IPVS is skipped) and returns
 * a Mesh. Throws MeshError('MESH_BACKEND_UNAVAILABLE') if an explicitly requested backend cannot run.
 */
export async function createMesh(config: MeshConfig = {}): Promise<Mesh> {
  const logger = config.logger ?? silentLogger;
  const runner = config.runner ?? spawnRunner();
  const opts = validateRenderOptions({ ...defaultRenderOptions(), ...config.render });
  const choice = config.backend ?? 'auto';
  // Probe even when userspace is requested: leftovers of a kernel backend must go (probes are harmless).
  const support = config.support ?? (await probeKernel(runner));
  const chosen = chooseBackend(choice, support);
  const log = chosen.reason.startsWith('IPVS unavailable') ? logger.warn.bind(logger) : logger.info.bind(logger);
  log({ backend: chosen.backend, requested: choice }, `routing mesh backend: ${chosen.backend} (${chosen.reason})`);
  if (!config.makeBackends) await clearLeftovers(chosen.backend, support, runner, opts, logger);
  const backends = config.makeBackends ? config.makeBackends(chosen.backend) : realBackends(chosen.backend, runner, opts);
  return new MeshImpl(chosen.backend, backends, opts);
}
