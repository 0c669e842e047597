// Routing mesh: `--publish P:T` answers on every node's port P and spreads new connections over all
// running tasks of the service. The only door into internal/mesh.

export { createMesh, type Mesh, type MeshConfig } from './mesh.ts';
export { renderRuleset, defaultRenderOptions, validateRenderOptions, forwardRules } from './render.ts';
export { renderNft, renderNftDelete, type NftPlan } from './render-nft.ts';
export { parseIpvsSave, planIpvs, type IpvsPlan } from './ipvs-plan.ts';
export { chooseBackend, probeKernel, type KernelSupport, type Choice } from './detect.ts';
export { FakeBackend, type Backend } from './backend.ts';
export { NftablesBackend, IpvsBackend } from './kernel-backends.ts';
export { UserspaceBackend } from './userspace-backend.ts';
export { TcpProxy } from './proxy-tcp.ts';
export { UdpProxy } from './proxy-udp.ts';
export { spawnRunner, RecordingRunner, toShellScript, type CommandRunner, type CommandResult, type RecordedCommand } from './runner.ts';
export { MeshError, type MeshErrorCode } from './errors.ts';
export { fwmarkOf } from './desired.ts';
export {
  silentLogger,
  type BackendChoice,
  type BackendName,
  type Endpoint,
  type IpvsService,
  type Logger,
  type LoopbackMode,
  type Protocol,
  type ProxyRule,
  type PublishedService,
  type RenderOptions,
  type Ruleset,
  type Sysctl,
  type Target,
} from './types.ts';
