/** `swarm service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]`. */
import { modeName, SwarmError } from "../../../internal/api/index.ts";
import { bool, updateServiceWithRetry } from "../../../internal/cli/index.ts";
import type { ServiceView } from "../../../internal/api/index.ts";
import { parseReplicas } from "../../../internal/spec/index.ts";
import type { Command } from "../context.ts";
import { parseOrHelp } from "../parse.ts";
import { waitForConvergence } from "../progress.ts";

export const serviceScaleCmd: Command = {
  name: "scale",
  summary: "Scale one or multiple replicated services",
  async run(argv, ctx) {
    const p = parseOrHelp(ctx, argv, "Usage:  swarm service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]\n\nScale one or multiple replicated services.", [
      { name: "detach", short: "d", kind: "bool", help: "Exit immediately instead of waiting for the services to converge" },
    ]);
    if (!p) return 0;
    if (p.args.length === 0) throw SwarmError.invalid(`"swarm service scale" requires at least 1 argument: SERVICE=REPLICAS`);
    // Validate every argument and service before changing any.
    const wanted = p.args.map((a) => {
      const i = a.indexOf("=");
      if (i <= 0) throw SwarmError.invalid(`invalid scale specifier '${a}': expected SERVICE=REPLICAS`);
      return { ref: a.slice(0, i), replicas: parseReplicas(a.slice(i + 1)) };
    });
    const views = await Promise.all(wanted.map((w) => ctx.client.call<ServiceView>("GET", `/services/${encodeURIComponent(w.ref)}`)));
    for (const [i, v] of views.entries()) {
      if (!("Replicated" in v.Service.Spec.Mode) && !("ReplicatedJob" in v.Service.Spec.Mode)) {
        throw SwarmError.invalid(`scale can only be used with replicated or replicated-job mode: ${wanted[i]!.ref} is ${modeName(v.Service.Spec)}`);
      }
    }
    for (const [i, v] of views.entries()) {
      await updateServiceWithRetry(ctx.client, v.Service.ID, (svc) => {
        const n = wanted[i]!.replicas;
        if ("ReplicatedJob" in svc.Spec.Mode) {
          // A job's replicas are its completions; MaxConcurrent is kept (at most the completions).
          const mc = Math.max(1, Math.min(svc.Spec.Mode.ReplicatedJob.MaxConcurrent, n));
          return { ...structuredClone(svc.Spec), Mode: { ReplicatedJob: { TotalCompletions: n, MaxConcurrent: mc } } };
        }
        if (!("Replicated" in svc.Spec.Mode)) throw SwarmError.invalid(`scale can only be used with replicated or replicated-job mode: ${wanted[i]!.ref} is ${modeName(svc.Spec)}`);
        return { ...structuredClone(svc.Spec), Mode: { Replicated: { Replicas: n } } };
      });
      ctx.out(`${wanted[i]!.ref} scaled to ${wanted[i]!.replicas}\n`);
    }
    if (!bool(p, "detach")) for (const v of views) await waitForConvergence(ctx, v.Service.ID, false);
    return 0;
  },
};
