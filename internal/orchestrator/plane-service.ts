/**
 * One service's plan from the slots that changed: re-plans those slots (slots.ts `planSlot`), keeps
 * every wanted slot's in-flight count and outdated task in the service's entry, and assembles the
 * plan (`assemble`) — the same commands, in the same order, with the same new task IDs, as the full
 * orchestrator planning every slot, provided every slot whose result may differ is in `keys`.
 */
import { type Command, isGlobal, isJob, type Service, type Task } from "../api/index.ts";
import type { ReconcileContext } from "./context.ts";
import { planJob } from "./jobs.ts";
import { ALL, type PlaneIndex, type Slots } from "./plane-index.ts";
import type { Preview } from "./preview.ts";
import { NO_FACTS, rolloutOf, slotFacts, verdict } from "./rollout.ts";
import { type GlobalSlots, jobSlots, replicaCount, replicaSlots } from "./service-plan.ts";
import { assemble, bySlotKey, isOutdated, type PlanHooks, planSlot, type ServiceSlots, type SlotKey, type SlotKind, type SlotResult } from "./slots.ts";

export function replanService(
  index: PlaneIndex,
  svc: Service,
  keys: Slots,
  preview: Preview,
  globalSlots: (svc: Service) => GlobalSlots,
  ctx: ReconcileContext,
  hooks: PlanHooks,
): Command[] {
  const e = index.entry(svc.ID, svc);
  const global = isGlobal(svc.Spec);
  if (isJob(svc.Spec)) {
    // A job is planned whole (its concurrency bound spans slots): every slot's tasks.
    const all = new Set<SlotKey | undefined>(e.slots.keys());
    for (const k of preview.createdSlots(svc.ID)) all.add(k);
    const bySlot = new Map<SlotKey | undefined, Task[]>();
    for (const k of all) bySlot.set(k, index.slotTasks(e, svc.ID, k, preview));
    return planJob(svc, bySlot, jobSlots(svc, globalSlots), ctx, hooks);
  }
  let kindOf: (k: SlotKey | undefined) => SlotKind;
  let wantedKeys: () => readonly SlotKey[];
  if (global) {
    const gs = globalSlots(svc);
    kindOf = (k) => (typeof k === "string" && gs.wantedSet.has(k) ? "wanted" : typeof k === "string" && gs.held.has(k) ? "held" : "unwanted");
    wantedKeys = () => gs.wanted;
  } else {
    const n = replicaCount(svc);
    kindOf = (k) => (typeof k === "number" && Number.isInteger(k) && k >= 1 && k <= n ? "wanted" : "unwanted");
    wantedKeys = () => replicaSlots(svc);
  }
  let keyList: (SlotKey | undefined)[];
  if (keys === ALL) {
    e.inFlight.clear();
    e.inFlightTotal = 0;
    e.outdated.clear();
    e.facts.clear();
    const all = new Set<SlotKey | undefined>(e.slots.keys());
    for (const k of preview.createdSlots(svc.ID)) all.add(k);
    for (const k of wantedKeys()) all.add(k);
    keyList = [...all];
  } else {
    keyList = [...keys];
  }
  const ss: ServiceSlots = global
    ? { service: svc, unwanted: "shutdown", place: (k) => ({ nodeId: String(k) }) }
    : { service: svc, unwanted: "remove", place: (k) => ({ slot: Number(k) }) };
  // In the full orchestrator's order (it draws new task IDs as it goes): unwanted and held slots by
  // key, then wanted slots by key.
  const kinds = new Map<SlotKey | undefined, SlotKind>();
  for (const key of keyList) kinds.set(key, kindOf(key));
  keyList.sort((a, b) => (kinds.get(a) === "wanted" ? 1 : 0) - (kinds.get(b) === "wanted" ? 1 : 0) || bySlotKey(a, b));
  const unwanted: SlotResult[] = [];
  const wanted: SlotResult[] = [];
  const active = rolloutOf(svc).active;
  const outdatedFn = (t: Task) => (hooks.outdated ?? isOutdated)(t, svc);
  for (const key of keyList) {
    const kind = kinds.get(key)!;
    const tasks = index.slotTasks(e, svc.ID, key, preview);
    const r = kind === "wanted" || tasks.length > 0 ? planSlot(ss, key, kind, tasks, ctx, hooks) : undefined;
    const was = e.inFlight.get(key) ?? 0;
    const now = kind === "wanted" ? r!.inFlight : 0;
    e.inFlightTotal += now - was;
    if (now > 0) e.inFlight.set(key, now);
    else e.inFlight.delete(key);
    if (kind === "wanted" && r!.outdated !== undefined) e.outdated.set(key, r!.outdated);
    else e.outdated.delete(key);
    if (kind === "wanted" && active) e.facts.set(key, slotFacts(svc, tasks, outdatedFn));
    else e.facts.delete(key);
    if (r !== undefined) (kind === "wanted" ? wanted : unwanted).push(r);
  }
  const outdated = () => [...e.outdated.entries()].sort((a, b) => bySlotKey(a[0], b[0])).map(([, t]) => t);
  return assemble(ss, unwanted, wanted, e.inFlightTotal, outdated, ctx);
}

/** The service's rollout verdict (rollout.ts) from its wanted slots' facts as last planned. */
export function serviceVerdict(index: PlaneIndex, svc: Service, globalSlots: (svc: Service) => GlobalSlots, ctx: ReconcileContext, hooks: PlanHooks): Command[] {
  if (isJob(svc.Spec) || !rolloutOf(svc).active) return [];
  const e = index.entry(svc.ID, svc);
  const wanted: readonly SlotKey[] = isGlobal(svc.Spec) ? globalSlots(svc).wanted : replicaSlots(svc);
  const facts = wanted.map((k) => e.facts.get(k) ?? NO_FACTS);
  return verdict(svc, facts, wanted.length, ctx, hooks.wakeAt);
}
