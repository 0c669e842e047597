/** The benchmark's printed report: medians per step, side by side, and the ratio ours/Swarm. Pure. */
import type { RoundResult, StepKey } from "./scenario.ts";

export interface StepDef {
  key: StepKey;
  label: string;
  /** Target for ours/Swarm. */
  target: number;
}

export const STEPS: readonly StepDef[] = [
  { key: "join", label: "(a) 4 nodes join until all Ready", target: 0.7 },
  { key: "create", label: "(b) 20 replicas created until all running", target: 0.7 },
  { key: "down", label: "(c) worker powered off until shown Down", target: 0.3 },
  { key: "moved", label: "(c) worker powered off until its tasks run elsewhere", target: 0.3 },
  { key: "failover", label: "(d) leader's agent killed until a write is accepted", target: 0.2 },
];

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Per system: the rounds it ran, or the reason it could not run at all. */
export type Column = {
  /** Column title ("swarm", "Docker Swarm"). */
  name: string;
  /** How lines about it start ("ours", "Docker Swarm"). */
  who: string;
  rounds: RoundResult[];
  unavailable?: string;
};

const ms = (v: number | null): string => (v === null ? "-" : v.toFixed(0));

export function formatReport(ours: Column, swarm: Column, roundsAsked: number): string {
  const out: string[] = [];
  out.push(`cluster benchmark: 5 test-bed hosts (h1 inits; h2,h3 join as managers, h4,h5 as workers), ${roundsAsked} round(s), median ms`);
  out.push(`${"step".padEnd(56)} ${ours.name.padStart(8)} ${swarm.name.padStart(13)} ${"ratio".padStart(6)} ${"target".padStart(7)}`);
  for (const s of STEPS) {
    const o = median(ours.rounds.flatMap((r) => (r.ms[s.key] === undefined ? [] : [r.ms[s.key]!])));
    const t = median(swarm.rounds.flatMap((r) => (r.ms[s.key] === undefined ? [] : [r.ms[s.key]!])));
    const ratio = o !== null && t !== null ? o / t : null;
    const verdict = ratio === null ? "" : ratio <= s.target ? "  ok" : "  MISSED";
    out.push(`${s.label.padEnd(56)} ${ms(o).padStart(8)} ${ms(t).padStart(13)} ${(ratio === null ? "-" : ratio.toFixed(2)).padStart(6)} ${("<= " + s.target.toFixed(1)).padStart(7)}${verdict}`);
  }
  for (const c of [ours, swarm]) {
    if (c.unavailable !== undefined) {
      out.push(`${c.who}: not available (${c.unavailable})`);
      continue;
    }
    c.rounds.forEach((r, i) => {
      const vals = STEPS.map((s) => `${s.key}=${ms(r.ms[s.key] ?? null)}`).join(" ");
      out.push(`${c.who} round ${i + 1}: ${vals}${r.failure ? `  FAILED at ${r.failure.step}: ${r.failure.message}` : ""}`);
      for (const n of r.notes) out.push(`    ${n}`);
    });
  }
  return out.join("\n");
}

/** One line: each host's settled control-plane RSS in the last round that measured it, and the largest. */
export function formatRss(title: string, rounds: readonly RoundResult[], which: "idle" | "loaded", targetMb?: number): string {
  const last = [...rounds].reverse().find((r) => r.rss[which].length > 0)?.rss[which];
  if (!last) return `${title}: not measured`;
  const mb = (b: number) => b / (1 << 20);
  const each = last.map((r) => `${r.host} ${r.bytes === 0 ? "no process" : `${mb(r.bytes).toFixed(1)} MB`}`).join(", ");
  const max = Math.max(...last.map((r) => mb(r.bytes)));
  const verdict = targetMb === undefined ? "" : `; max ${max.toFixed(1)} MB (target <= ${targetMb} MB${max <= targetMb ? ", ok" : ", MISSED"})`;
  return `${title}: ${each}${verdict}`;
}
