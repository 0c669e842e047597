/** `swarm info` and `swarm version`. */
import { one, renderEach } from "../../../internal/cli/index.ts";
import { VERSION } from "../../../internal/config/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

export const versionCmd: Command = {
  name: "version",
  summary: "Show the swarm version information",
  async run(argv, ctx) {
    if (!parseOrHelp(ctx, argv, "Usage:  swarm version\n\nShow the client's and the agent's versions.", [])) return 0;
    ctx.out(`Client:\n Version:    ${VERSION}\n Runtime:    Bun ${Bun.version}\n OS/Arch:    ${process.platform}/${process.arch}\n\n`);
    const info = await ctx.client.call<{ Version: string }>("GET", "/info").catch((e: Error) => ({ Version: `unavailable (${e.message})` }));
    ctx.out(`Agent:\n Version:    ${info.Version}\n`);
    return 0;
  },
};

export const infoCmd: Command = {
  name: "info",
  summary: "Display cluster-wide information",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm info [OPTIONS]\n\nDisplay cluster-wide information.", [
      { name: "format", short: "f", kind: "string", help: 'Format output: "json", or a Go template (e.g. \'{{.NodeID}}\')' },
    ]);
    if (!p) return 0;
    const i = await ctx.client.call<Record<string, any>>("GET", "/info");
    if (one(p, "format") === "json") {
      ctx.out(JSON.stringify(i) + "\n");
      return 0;
    }
    if (one(p, "format") !== undefined) {
      ctx.out(renderEach(one(p, "format")!, [i]));
      return 0;
    }
    const lines = [
      `Agent version: ${i.Version}`,
      `Socket: unix://${i.Socket}`,
      `Data dir: ${i.DataDir}`,
      `Docker: ${i.DockerHost}${i.Engine && !i.Engine.Reachable ? ` (unreachable: ${i.Engine.Message})` : ""}`,
      `Docker API: ${i.DockerApi ?? "off"}`,
      `Web: ${i.Web ?? "off"}`,
      `Swarm: ${i.Cluster ? "active" : "inactive"}`,
    ];
    if (i.Cluster) {
      lines.push(` NodeID: ${i.NodeID}`, ` Is Manager: ${i.IsManager}`, ` ClusterID: ${i.Cluster.ID}`);
      if (i.IsManager) {
        lines.push(
          ` Leader: ${i.Leader ? (i.Leader === i.NodeID ? "this node" : i.Leader.slice(0, 25)) : "none (no quorum?)"}`,
          ` Managers: ${i.Managers}`,
          ` Nodes: ${i.Nodes}`,
          ` Services: ${i.Services}`,
          ` Tasks: ${i.Tasks} (${i.RunningTasks} running)`,
          ` Raft index: ${i.RaftIndex}`,
        );
      }
      lines.push(
        ` Node Address: ${i.NodeAddr}`,
        ` Listen port: ${i.ListenPort}/udp`,
        ` Connected peers: ${i.Peers}`,
        ` Routing mesh: ${i.Mesh ? (i.Mesh.Backend ?? (i.Mesh.Error ? "unavailable" : "starting")) : "none"}${i.Mesh?.Error ? ` (${i.Mesh.Error})` : ""}`,
      );
    }
    ctx.out(lines.join("\n") + "\n");
    return 0;
  },
};
