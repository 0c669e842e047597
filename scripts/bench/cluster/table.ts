/**
 * Reading Docker's CLI tables (`node ls`, `service ps`), which both systems print: columns are
 * found by where each header name starts, so values with spaces ("MANAGER STATUS", "Running 2
 * seconds ago") stay whole. Pure.
 */

export type Row = Record<string, string>;

/**
 * Parses a table whose first non-empty line is the header. `columns` are the header names to look
 * for, in order (a name missing from the header makes every row's value for it ""). Values are the
 * text between a column's start and the next present column's start, trimmed.
 */
export function parseTable(text: string, columns: readonly string[]): Row[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0];
  if (header === undefined) return [];
  const starts = columns
    .map((name) => ({ name, at: headerIndex(header, name, columns) }))
    .filter((c) => c.at >= 0)
    .sort((a, b) => a.at - b.at);
  return lines.slice(1).map((line) => {
    const row: Row = Object.fromEntries(columns.map((c) => [c, ""]));
    starts.forEach((c, i) => {
      const end = starts[i + 1]?.at ?? line.length;
      row[c.name] = line.slice(c.at, end).trim();
    });
    return row;
  });
}

/**
 * Where `name` starts in the header as a whole word, outside every longer column name that contains
 * it ("STATUS" is not the one inside "MANAGER STATUS"). -1 when absent.
 */
function headerIndex(header: string, name: string, columns: readonly string[]): number {
  const longer = columns.filter((c) => c !== name && c.includes(name));
  const taken = longer.flatMap((c) => occurrences(header, c).map((at) => [at, at + c.length] as const));
  return occurrences(header, name).find((at) => !taken.some(([a, b]) => at >= a && at < b)) ?? -1;
}

/** Start offsets of `word` in `text` where it is delimited by spaces or the line's ends. */
function occurrences(text: string, word: string): number[] {
  const out: number[] = [];
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const before = at === 0 ? " " : text[at - 1];
    const after = text[at + word.length] ?? " ";
    if (before === " " && after === " ") out.push(at);
  }
  return out;
}

export interface NodeRow {
  id: string;
  /** True on the row of the node the CLI talked to (Docker's `*` after the ID). */
  self: boolean;
  hostname: string;
  status: string;
  availability: string;
  /** "Leader", "Reachable", "Unreachable", or "" for a worker. */
  managerStatus: string;
}

const NODE_COLUMNS = ["ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"] as const;

/** `node ls` output → rows. */
export function parseNodeLs(text: string): NodeRow[] {
  return parseTable(text, NODE_COLUMNS).map((r) => {
    const id = r["ID"]!;
    const self = /\s\*$/.test(id) || id.endsWith("*");
    return {
      id: id.replace(/\s*\*$/, ""),
      self,
      hostname: r["HOSTNAME"]!,
      status: r["STATUS"]!,
      availability: r["AVAILABILITY"]!,
      managerStatus: r["MANAGER STATUS"]!,
    };
  });
}
