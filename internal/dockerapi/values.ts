/** Docker's JSON values as from-docker.ts judges them. Pure. */

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** null, false, 0, "", [] and objects of only empty values: what Go's zero values look like. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isEmpty);
  return false;
}

/** Docker's label filter: `k=v` requires label k with value v; `k` requires label k; all must match. */
export function labelsMatch(labels: Record<string, string> | undefined, wanted: string[] | undefined): boolean {
  return (wanted ?? []).every((w) => {
    const i = w.indexOf("=");
    const k = i < 0 ? w : w.slice(0, i);
    return labels !== undefined && k in labels && (i < 0 || labels[k] === w.slice(i + 1));
  });
}
