/** The flag parser follows Docker's conventions. */
import { describe, expect, test } from "bun:test";
import { all, bool, one, parseFlags, type FlagDef } from "../../internal/cli/index.ts";

const defs: FlagDef[] = [
  { name: "detach", short: "d", kind: "bool", help: "" },
  { name: "quiet", short: "q", kind: "bool", help: "" },
  { name: "name", kind: "string", help: "" },
  { name: "env", short: "e", kind: "list", help: "" },
];

describe("flag parsing", () => {
  test("--flag value, --flag=value, -e value, -evalue, repeated lists", () => {
    const p = parseFlags(["--name", "a", "--name=b", "-e", "X=1", "-eY=2", "--env=Z=3", "img"], defs);
    expect(one(p, "name")).toBe("b");
    expect(all(p, "env")).toEqual(["X=1", "Y=2", "Z=3"]);
    expect(p.args).toEqual(["img"]);
  });

  test("booleans: bare, =true/=false, and clustered short flags", () => {
    expect(bool(parseFlags(["--detach=false"], defs), "detach", true)).toBe(false);
    const p = parseFlags(["-dq"], defs);
    expect([bool(p, "detach"), bool(p, "quiet")]).toEqual([true, true]);
  });

  test("-- ends flags; non-interspersed parsing stops at the first positional", () => {
    expect(parseFlags(["--", "--name", "x"], defs).args).toEqual(["--name", "x"]);
    const p = parseFlags(["-d", "img", "-q"], defs, { interspersed: false });
    expect(p.args).toEqual(["img", "-q"]);
    expect(bool(p, "quiet")).toBe(false);
  });

  test("errors: unknown flags, missing values, bad booleans", () => {
    expect(() => parseFlags(["--nope"], defs)).toThrow(/unknown flag: --nope/);
    expect(() => parseFlags(["-x"], defs)).toThrow(/unknown shorthand flag: 'x'/);
    expect(() => parseFlags(["--name"], defs)).toThrow(/flag needs an argument: --name/);
    expect(() => parseFlags(["--detach=maybe"], defs)).toThrow(/expected true or false/);
  });
});
