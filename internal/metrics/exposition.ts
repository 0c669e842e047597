/**
 * The Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE`, then one line per sample,
 * `name{label="value",…} value`. Label values escape backslash, double quote and newline; HELP text
 * escapes backslash and newline. Histograms are `_bucket{le=…}` (cumulative, ending with `+Inf`),
 * `_sum` and `_count`. Pure.
 */

export type MetricType = "gauge" | "counter" | "histogram";

export interface Sample {
  /** Appended to the family name (`_bucket`, `_sum`, `_count`, `_total` is part of the name). */
  suffix?: string;
  labels?: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return "";
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!LABEL_RE.test(k)) throw new Error(`invalid metric label name ${k}`);
    return `${k}="${escapeLabel(v)}"`;
  });
  return parts.length ? `{${parts.join(",")}}` : "";
}

export function render(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!NAME_RE.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${s.suffix ?? ""}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
  return out.join("\n") + "\n";
}

/** A counter with labels; `family()` reports every label set seen. */
export class Counter {
  private readonly values = new Map<string, { labels: Record<string, string>; value: number }>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Record<string, string> = {}, by = 1): void {
    const key = JSON.stringify(labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels, value: by });
  }

  get(labels: Record<string, string> = {}): number {
    return this.values.get(JSON.stringify(labels))?.value ?? 0;
  }

  family(): Family {
    return { name: this.name, help: this.help, type: "counter", samples: [...this.values.values()].map((v) => ({ labels: v.labels, value: v.value })) };
  }
}

/** Latency buckets in seconds: a local API answers in milliseconds; a write waits for Raft. */
export const DEFAULT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  private readonly series = new Map<string, { labels: Record<string, string>; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[] = DEFAULT_BUCKETS_S) {}

  observe(labels: Record<string, string>, value: number): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s!.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }

  family(): Family {
    const samples: Sample[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => samples.push({ suffix: "_bucket", labels: { ...s.labels, le: formatValue(b) }, value: s.counts[i]! }));
      samples.push({ suffix: "_bucket", labels: { ...s.labels, le: "+Inf" }, value: s.count });
      samples.push({ suffix: "_sum", labels: s.labels, value: s.sum });
      samples.push({ suffix: "_count", labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: "histogram", samples };
  }
}
