import { describe, expect, test } from "bun:test";
import { interpolate, parseDotenv } from "../../internal/stack/index.ts";

const env: Record<string, string> = { A: "a", EMPTY: "" };
const look = (k: string) => env[k];
const ok = (s: string) => {
  const r = interpolate(s, look);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const err = (s: string) => {
  const r = interpolate(s, look);
  if (r.ok) throw new Error(`expected an error for ${s}, got ${r.value}`);
  return r.error;
};

describe("interpolation", () => {
  test("${VAR} and $VAR", () => {
    expect(ok("x${A}y")).toBe("xay");
    expect(ok("$A/b")).toBe("a/b");
    expect(ok("${A}${A}")).toBe("aa");
  });
  test("an unset variable is empty and reported", () => {
    const r = interpolate("[${NOPE}][$NOPE2]", look);
    expect(r).toEqual({ ok: true, value: "[][]", unset: ["NOPE", "NOPE2"] });
  });
  test(":- applies when unset or empty, - only when unset", () => {
    expect(ok("${NOPE:-d}")).toBe("d");
    expect(ok("${EMPTY:-d}")).toBe("d");
    expect(ok("${A:-d}")).toBe("a");
    expect(ok("${NOPE-d}")).toBe("d");
    expect(ok("${EMPTY-d}")).toBe("");
  });
  test("defaults may interpolate, and hold : and /", () => {
    expect(ok("${NOPE:-${A}-x}")).toBe("a-x");
    expect(ok("${NOPE:-redis:6/tcp}")).toBe("redis:6/tcp");
  });
  test(":? and ? fail with the message", () => {
    expect(err("${NOPE:?set NOPE to the API key}")).toBe("required variable NOPE is missing a value: set NOPE to the API key");
    expect(err("${EMPTY:?must not be empty}")).toBe("required variable EMPTY is missing a value: must not be empty");
    expect(ok("${EMPTY?only unset fails}")).toBe("");
    expect(err("${NOPE?}")).toBe("required variable NOPE is missing a value: NOPE is not set");
    expect(ok("${A:?x}")).toBe("a");
  });
  test("$$ is a literal $", () => {
    expect(ok("echo $$HOME $${A}")).toBe("echo $HOME ${A}");
  });
  test("malformed", () => {
    expect(err("${A")).toMatch(/not closed/);
    expect(err("${}")).toMatch(/does not start with a variable name/);
    expect(err("${A!x}")).toMatch(/invalid interpolation format/);
    expect(err("cost: 5$")).toMatch(/write \$\$ for a literal \$/);
  });
});

describe(".env files", () => {
  test("KEY=VALUE, comments, export, quotes, KEY from the environment", () => {
    const r = parseDotenv(`# c\n\nexport A=1\nB="two words"\nC='x # y'\nD=v # comment\nE=\nHOME_ONLY\nMISSING\n`, (k) => (k === "HOME_ONLY" ? "h" : undefined));
    expect(r).toEqual({ ok: true, vars: [["A", "1"], ["B", "two words"], ["C", "x # y"], ["D", "v"], ["E", ""], ["HOME_ONLY", "h"]] });
  });
  test("a bad line is named", () => {
    expect(parseDotenv("A=1\nnot a var=2\n", () => undefined)).toEqual({ ok: false, line: 2, error: '"not a var" is not a variable name (expected KEY=VALUE)' });
  });
});
