/**
 * The web address's data from the agent: the visualizer's view and the metrics of this node, read
 * from the manager's state as it is now (no barrier: a follower's page may lag the leader by a few
 * milliseconds, and a page must not wait for quorum to show that quorum is lost).
 */
import { nodeView, SwarmError } from "../api/index.ts";
import { clusterFamilies, type RequestMetrics } from "../metrics/index.ts";
import { meshInputs } from "../node/index.ts";
import { clusterView, createWebHandler, notManagerView, type WebSource } from "../web/index.ts";
import type { Api } from "./api.ts";

export function webSource(api: Api, requests?: RequestMetrics): WebSource {
  const agent = api.agent;
  const manager = () => {
    try {
      return { m: agent.requireManager(), error: undefined };
    } catch (err) {
      return { m: undefined, error: err instanceof SwarmError ? err.message : String(err) };
    }
  };
  const connected = (id: string) => agent.transportPeers.some((p) => p.id === id);
  return {
    view() {
      const { m, error } = manager();
      if (!m) return notManagerView(error ?? "this node is not a manager");
      const st = m.state;
      const live = { leaderId: m.leaderId, self: agent.nodeId, connected };
      return clusterView(st, Object.values(st.nodes).map((n) => nodeView(n, live)), agent.nodeId, m.leaderId);
    },
    subscribe: (fn) => agent.onState(() => fn()),
    metrics() {
      const { m } = manager();
      const st = m?.state;
      const raft = m?.raft.status();
      const mesh = agent.meshStatus;
      const counts = st ? meshInputs(st) : undefined;
      return [
        ...clusterFamilies({
          state: st,
          active: agent.active,
          isManager: m !== undefined,
          raft: raft ? { term: raft.term, commit: raft.commit, applied: raft.applied, isLeader: m!.isLeader, hasLeader: raft.leaderId !== null } : undefined,
          transportPeers: agent.transportPeers.length,
          mesh: mesh ? { backend: mesh.Backend, error: mesh.Error } : null,
          meshCounts: counts ? { publishedPorts: counts.services.length, endpoints: counts.endpoints.length } : undefined,
          rssBytes: process.memoryUsage.rss(),
        }),
        ...(requests?.families() ?? []),
      ];
    },
  };
}

export function webHandler(api: Api, requests?: RequestMetrics): (req: Request) => Promise<Response> {
  return createWebHandler(webSource(api, requests));
}
