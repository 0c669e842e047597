/**
 * Rows for `ls` and `ps` commands the way Docker's formatter prints them: a `--format` template run on
 * each row (one line each), or, for `table …` formats, a header line (the template run on the header
 * names) and the rows aligned by Docker's tabwriter (minimum width 10, padding 3; the last cell of a
 * line is not padded). `\t` and `\n` typed in a format mean a tab and a newline, as in Docker.
 */
import { SwarmError } from "../api/index.ts";
import { compileTemplate, ROW } from "./template.ts";

/** Go's text/tabwriter as Docker configures it: minwidth 10, tabwidth 1, padding 3, spaces. */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split("\n");
  const cells = lines.map((l) => l.split("\t"));
  const widths: number[] = [];
  for (const row of cells) {
    row.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? minWidth, c.length + padding);
    });
  }
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]!) : c)).join("")).join("\n");
}

export interface RowFormat<R> {
  /** The command's default table, in Docker's template form. */
  defaultTable: string;
  /** Header text per field (Docker's header names). */
  headers: Record<keyof R & string, string>;
}

/** A row object for templates: its fields sorted (as Docker's `{{json .}}` prints them), typos refused. */
export function row<R extends object>(kind: string, fields: R): R {
  const out = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as R;
  Object.defineProperty(out, ROW, { value: kind, enumerable: false });
  return out;
}

function prepare(format: string): { table: boolean; body: string } {
  const table = format.startsWith("table");
  let body = table ? format.slice("table".length) : format;
  body = body.trim().replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  return { table, body };
}

/** Renders `rows` with `format` ("table", "table {{…}}", or a template; undefined: the default table). */
export function renderRows<R extends object>(format: string | undefined, rows: R[], f: RowFormat<R>, kind: string): string {
  const { table, body } = prepare(format === undefined || format === "table" ? f.defaultTable : format);
  let tmpl;
  try {
    tmpl = compileTemplate(body);
  } catch (err) {
    throw SwarmError.invalid(`invalid --format: ${(err as Error).message}`);
  }
  const lines: string[] = [];
  if (table) lines.push(tmpl.execute(row(kind, f.headers)));
  for (const r of rows) lines.push(tmpl.execute(row(kind, r)));
  const text = lines.map((l) => l + "\n").join("");
  return table ? tabwrite(text) : text;
}

/** `inspect --format`: the template on each object, one result per line. */
export function renderEach(format: string, objects: unknown[]): string {
  const { body } = prepare(format);
  const tmpl = compileTemplate(body);
  return objects.map((o) => tmpl.execute(o) + "\n").join("");
}
