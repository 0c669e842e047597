/**
 * A strict parser of the Prometheus text exposition format (0.0.4) for tests: every line must be a
 * HELP, a TYPE or a sample of the family last declared; names and label names must be valid; label
 * values may only use the three escapes; values are numbers, NaN or ±Inf; histogram buckets are
 * cumulative and end with +Inf equal to _count. Throws on the first violation, naming the line.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(v: string, line: string): number {
  if (v === "NaN") return NaN;
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) throw new Error(`bad value in: ${line}`);
  return Number(v);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let j = eq + 2;
    let value = "";
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const n = text[++j];
        if (n === "\\") value += "\\";
        else if (n === '"') value += '"';
        else if (n === "n") value += "\n";
        else throw new Error(`bad escape \\${n} in: ${line}`);
      } else value += text[j];
    }
    if (text[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (name in out) throw new Error(`label ${name} twice in: ${line}`);
    out[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`expected , between labels in: ${line}`);
  }
  return out;
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  let current: ParsedFamily | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const n = line.split(" ")[2]!;
      if (!NAME.test(n)) throw new Error(`bad metric name in: ${line}`);
      if (families.has(n)) throw new Error(`family ${n} declared twice`);
      current = { name: n, help: line.slice(`# HELP ${n} `.length), type: "untyped", samples: [] };
      families.set(n, current);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , n, type] = line.split(" ");
      if (!current || current.name !== n) throw new Error(`TYPE without its HELP: ${line}`);
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type!)) throw new Error(`bad type in: ${line}`);
      current.type = type!;
      continue;
    }
    if (line.startsWith("#") || line === "") continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const name = m[1]!;
    if (!current) throw new Error(`sample before any family: ${line}`);
    const okName = current.type === "histogram" ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`].includes(name) : name === current.name;
    if (!okName) throw new Error(`sample ${name} outside its family ${current.name}`);
    current.samples.push({ name, labels: m[3] ? parseLabels(m[3], line) : {}, value: parseValue(m[4]!, line) });
  }
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function checkHistogram(f: ParsedFamily): void {
  const series = new Map<string, ParsedSample[]>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    void le;
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith("_bucket"));
    let prev = 0;
    for (const b of buckets) {
      if (b.value < prev) throw new Error(`${f.name}: buckets are not cumulative`);
      prev = b.value;
    }
    const inf = buckets.at(-1);
    const count = samples.find((s) => s.name.endsWith("_count"));
    if (!inf || inf.labels.le !== "+Inf") throw new Error(`${f.name}: the last bucket is not +Inf`);
    if (!count || count.value !== inf.value) throw new Error(`${f.name}: +Inf bucket differs from _count`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(fams: Map<string, ParsedFamily>, family: string, labels: Record<string, string> = {}, name = family): number | undefined {
  const f = fams.get(family);
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
