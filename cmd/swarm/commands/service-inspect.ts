/** `swarm service inspect [--pretty] SERVICE [SERVICE...]`. */
import { SwarmError, type HealthConfig, type Service, type UpdateConfig } from "../../../internal/api/index.ts";
import { bool, one, renderEach } from "../../../internal/cli/index.ts";
import type { ServiceView } from "../../../internal/api/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";

const secs = (ns: number) => `${ns / 1e9}s`;

function modeText(s: Service): string {
  const m = s.Spec.Mode;
  if ("Replicated" in m) return `Service Mode:\tReplicated\n Replicas:\t${m.Replicated.Replicas}`;
  if ("ReplicatedJob" in m) return `Service Mode:\tReplicatedJob\n Max Concurrent:\t${m.ReplicatedJob.MaxConcurrent}\n Total Completions:\t${m.ReplicatedJob.TotalCompletions}`;
  return "GlobalJob" in m ? "Service Mode:\tGlobalJob" : "Service Mode:\tGlobal";
}

/** Docker's "UpdateStatus:" block (State, Started, Completed, Message). */
function updateStatusText(s: Service): string[] {
  const u = s.UpdateStatus;
  if (!u) return [];
  return ["UpdateStatus:", ` State:\t\t${u.State}`, ` Started:\t${u.StartedAt}`, ...(u.CompletedAt ? [` Completed:\t${u.CompletedAt}`] : []), ` Message:\t${u.Message}`];
}

function rolloutText(title: string, u: UpdateConfig | undefined): string[] {
  if (!u) return [];
  return [`${title}:`, ` Parallelism:\t${u.Parallelism}`, ...(u.Delay ? [` Delay:\t\t${secs(u.Delay)}`] : []), ` On failure:\t${u.FailureAction}`, ` Monitoring Period: ${secs(u.Monitor)}`, ` Max failure ratio: ${u.MaxFailureRatio}`, ` Update order:      ${u.Order}`];
}

function healthText(h: HealthConfig | undefined): string[] {
  if (!h) return [];
  if (h.Test?.[0] === "NONE") return [" Healthcheck:\tdisabled"];
  return [
    " Healthcheck:",
    ...(h.Test?.length ? [`  Test:\t\t${h.Test.join(" ")}`] : []),
    ...(h.Interval ? [`  Interval:\t${secs(h.Interval)}`] : []),
    ...(h.Timeout ? [`  Timeout:\t${secs(h.Timeout)}`] : []),
    ...(h.StartPeriod ? [`  Start Period:\t${secs(h.StartPeriod)}`] : []),
    ...(h.Retries ? [`  Retries:\t${h.Retries}`] : []),
  ];
}

function pretty(s: Service): string {
  const t = s.Spec.TaskTemplate;
  const c = t.ContainerSpec;
  const out = [
    `ID:\t\t${s.ID}`,
    `Name:\t\t${s.Spec.Name}`,
    ...(Object.keys(s.Spec.Labels).length ? ["Labels:", ...Object.entries(s.Spec.Labels).map(([k, v]) => ` ${k}=${v}`)] : []),
    modeText(s),
    ...updateStatusText(s),
    ...(t.Placement?.Constraints?.length ? ["Placement:", ` Constraints:\t[${t.Placement.Constraints.join(" ")}]`] : ["Placement:"]),
    "RestartPolicy:",
    ` Condition:\t${t.RestartPolicy.Condition}`,
    ` Delay:\t\t${t.RestartPolicy.Delay / 1e9}s`,
    ` MaxAttempts:\t${t.RestartPolicy.MaxAttempts}`,
    "ContainerSpec:",
    ` Image:\t\t${c.Image}`,
    ...(c.Command ? [` Command:\t${c.Command.join(" ")}`] : []),
    ...(c.Args ? [` Args:\t\t${c.Args.join(" ")}`] : []),
    ...(c.Env?.length ? [` Env:\t\t${c.Env.join(" ")}`] : []),
    ...(c.Dir ? [` Dir:\t\t${c.Dir}`] : []),
    ...(c.User ? [` User:\t\t${c.User}`] : []),
    ...healthText(c.Healthcheck),
    ...(c.Mounts?.length ? ["Mounts:", ...c.Mounts.map((m) => ` Target:\t${m.Target}\n  Source:\t${m.Source ?? ""}\n  ReadOnly:\t${!!m.ReadOnly}\n  Type:\t\t${m.Type}`)] : []),
    ...(t.Resources?.Limits?.NanoCPUs || t.Resources?.Limits?.MemoryBytes ? ["Resources:", " Limits:", ...(t.Resources.Limits.NanoCPUs ? [`  CPU:\t\t${t.Resources.Limits.NanoCPUs / 1e9}`] : []), ...(t.Resources.Limits.MemoryBytes ? [`  Memory:\t${t.Resources.Limits.MemoryBytes}B`] : [])] : []),
    ...rolloutText("UpdateConfig", s.Spec.UpdateConfig),
    ...rolloutText("RollbackConfig", s.Spec.RollbackConfig),
    `Endpoint Mode:\tvip`,
    ...(s.Endpoint.Ports.length ? ["Ports:", ...s.Endpoint.Ports.map((p) => ` PublishedPort = ${p.PublishedPort}\n  Protocol = ${p.Protocol}\n  TargetPort = ${p.TargetPort}\n  PublishMode = ${p.PublishMode}`)] : []),
  ];
  return out.join("\n") + "\n";
}

export const serviceInspectCmd: Command = {
  name: "inspect",
  summary: "Display detailed information on one or more services",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service inspect [OPTIONS] SERVICE [SERVICE...]\n\nDisplay detailed information on one or more services.", [
      { name: "pretty", kind: "bool", help: "Print the information in a human friendly format" },
      { name: "format", short: "f", kind: "string", help: "Format output using a Go template (e.g. '{{.Spec.Mode.Replicated.Replicas}}')" },
    ]);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm service inspect" requires at least 1 argument: SERVICE`);
    const services: Service[] = [];
    for (const ref of p.args) services.push((await ctx.client.call<ServiceView>("GET", `/services/${encodeURIComponent(ref)}`)).Service);
    const format = one(p, "format");
    if (format !== undefined && format !== "json") ctx.out(renderEach(format, services));
    else if (bool(p, "pretty")) ctx.out(services.map(pretty).join("\n"));
    else ctx.out(JSON.stringify(services, null, 4) + "\n");
    return 0;
  },
};
