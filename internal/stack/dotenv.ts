/**
 * `.env` and `env_file:` files as Docker reads them: `KEY=VALUE` lines, `#` comments and blank lines
 * ignored, an optional `export ` prefix, surrounding single or double quotes removed from the value.
 * A line with only `KEY` takes the value from the environment (absent there: the line is dropped).
 * Pure; errors name the line.
 */
export type DotenvResult = { ok: true; vars: [string, string][] } | { ok: false; line: number; error: string };

export function parseDotenv(text: string, lookup: (k: string) => string | undefined): DotenvResult {
  const vars: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("export ")) line = line.slice(7).trimStart();
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      return { ok: false, line: n + 1, error: `"${key.slice(0, 40)}" is not a variable name (expected KEY=VALUE)` };
    }
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) vars.push([key, v]);
      continue;
    }
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else {
      const hash = value.indexOf(" #");
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
    }
    vars.push([key, value]);
  }
  return { ok: true, vars };
}
