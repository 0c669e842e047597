/**
 * The Docker-compatible API's backend over the agent's `Api`: the same reads (behind the manager's
 * barrier), the same planned writes, and the same log stream as swarm's own API (so logs from every
 * node reach `docker service logs` as soon as they reach `swarm service logs`).
 */
import { timingSafeEqual } from "node:crypto";
import { nodeView, type Node, type ServiceSpec, type Task } from "../api/index.ts";
import { VERSION } from "../config/index.ts";
import type { DockerBackend, LocalFacts, NodeChanges } from "../dockerapi/index.ts";
import { parseSince } from "../logs/index.ts";
import type { Api } from "./api.ts";
import { streamServiceLogs } from "./logs.ts";

/** The engine's own `GET /info` is asked at most this often (the visualizer polls `/info`). */
const ENGINE_INFO_TTL_MS = 2000;
const ENGINE_INFO_TIMEOUT_MS = 2000;

export function dockerBackend(api: Api): DockerBackend {
  let engine: { at: number; info: Promise<Record<string, unknown> | undefined> } | undefined;
  const engineInfo = () => {
    const now = Date.now();
    if (!engine || now - engine.at > ENGINE_INFO_TTL_MS) {
      const info = api.docker
        ? Promise.race([
          api.docker.info() as Promise<Record<string, unknown>>,
          Bun.sleep(ENGINE_INFO_TIMEOUT_MS).then(() => undefined),
        ]).catch(() => undefined)
        : Promise.resolve(undefined);
      engine = { at: now, info };
    }
    return engine.info;
  };
  const manager = () => {
    try {
      return api.agent.requireManager();
    } catch {
      return undefined;
    }
  };
  return {
    get nodeId() {
      return api.agent.nodeId;
    },
    async local(): Promise<LocalFacts> {
      const m = manager();
      const timings = m ? (await import("../manager/index.ts")) : undefined;
      return {
        nodeId: api.agent.nodeId,
        active: api.agent.active,
        isManager: m !== undefined,
        addr: api.agent.addr,
        listenPort: api.agent.dhtPort,
        version: VERSION,
        engine: await engineInfo(),
        heartbeatMs: timings?.DEFAULT_MANAGER_TIMINGS.heartbeatMs ?? 0,
        raft: { snapshotEntries: 10_000, electionTick: 10, heartbeatTick: 1 },
        certValidityMs: timings?.CERT_VALIDITY_MS ?? 0,
      };
    },
    read: () => api.agent.read(),
    nodeView(n: Node): Node {
      const m = api.agent.requireManager();
      const self = api.agent.nodeId;
      return nodeView(n, { leaderId: m.leaderId, self, connected: (id) => api.agent.transportPeers.some((p) => p.id === id) });
    },
    async createService(spec: ServiceSpec) {
      return (await api.createService(spec)).ID;
    },
    async updateService(ref: string, spec: ServiceSpec, version?: number) {
      await api.updateService(ref, spec, version);
    },
    async removeService(ref: string) {
      await api.removeServices([ref]);
    },
    async updateNode(ref: string, changes: NodeChanges) {
      await api.updateNode(ref, changes);
    },
    async removeNode(ref: string, force: boolean) {
      await api.removeNodes([ref], force);
    },
    async joinTokens() {
      const [w, m] = await Promise.all([api.joinToken("worker", false), api.joinToken("manager", false)]);
      return { Worker: w.token, Manager: m.token };
    },
    async rotateToken(role) {
      await api.joinToken(role, true);
    },
    serviceLogs(serviceId, opts, write, signal) {
      const since = opts.since === undefined ? undefined : parseSince(opts.since, Date.now());
      return streamServiceLogs(api, serviceId, { follow: opts.follow, tail: opts.tail, since, timestamps: true }, write, signal);
    },
    forgottenTask(id: string): Task | undefined {
      let st;
      try {
        st = api.state;
      } catch {
        return undefined;
      }
      for (const s of Object.keys(st.services)) {
        const t = api.forgotten.ofService(s).find((x) => x.ID === id);
        if (t) return t;
      }
      return undefined;
    },
    async parseSpec(spec: unknown) {
      return (await import("../spec/index.ts")).parseServiceSpec(spec);
    },
    async rollbackService(ref: string, version?: number) {
      await api.rollbackService(ref, version);
    },
    async createFile(kind, f) {
      return (await api.createFile(kind, f.name, f.data, f.labels)).ID;
    },
    async removeFile(kind, ref) {
      await api.removeFiles(kind, [ref]);
    },
    async sameFileData(kind, id, data) {
      const st = await api.agent.read();
      let have: Uint8Array | undefined;
      if (kind === "config") {
        const c = st.configs?.[id];
        have = c ? new Uint8Array(Buffer.from(c.Spec.Data, "base64")) : undefined;
      } else {
        const s = st.secrets?.[id];
        have = s && st.cluster ? (await import("../manager/index.ts")).openSecret(st.cluster, s.ID, s.Sealed) : undefined;
      }
      return have !== undefined && have.length === data.length && timingSafeEqual(have, data);
    },
  };
}
