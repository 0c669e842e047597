/** Output helpers matching Docker's CLI: aligned tables, truncated IDs, "2 minutes ago" times. */

/** Columns as Docker's tabwriter lays them out: at least 10 wide, 3 spaces after the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(10, h.length + 3, ...rows.map((r) => (r[i] ?? "").length + 3)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export function shortId(id: string, noTrunc = false): string {
  return noTrunc ? id : id.slice(0, 12);
}

/** Docker's `units.HumanDuration`. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return "About an hour";
  if (h < 48) return `${h} hours`;
  const d = Math.round(s / 86400);
  if (d < 14) return `${d} days`;
  return `${Math.round(d / 7)} weeks`;
}

export function ago(iso: string, now = Date.now()): string {
  return `${humanDuration(now - Date.parse(iso))} ago`;
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function portsText(ports: { Protocol: string; TargetPort: number; PublishedPort: number }[]): string {
  return ports.map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`).join(", ");
}

/** `--filter key=value` → [key, value]. */
export function parseFilter(f: string): [string, string] {
  const i = f.indexOf("=");
  if (i <= 0) throw new Error(`bad format of filter "${f}" (expected name=value)`);
  return [f.slice(0, i), f.slice(i + 1)];
}
