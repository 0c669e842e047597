import { expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { parseGoDuration, parseSince, sinceParam, tsSeconds } from "../../internal/logs/index.ts";

const NOW = Date.parse("2026-11-28T12:00:00Z");

test.each([
  ["1700000000", 1700000000],
  ["1700000000.25", 1700000000.25],
  ["10m", NOW / 1000 - 600],
  ["1h30m", NOW / 1000 - 5400],
  ["1.5s", NOW / 1000 - 1.5],
  ["250ms", NOW / 1000 - 0.25],
  ["2026-11-28T11:00:00Z", NOW / 1000 - 3600],
  ["2026-11-28T13:00:00+02:00", NOW / 1000 - 3600],
  ["2026-11-28T11:00:00", NOW / 1000 - 3600],
  ["2026-11-28", Date.parse("2026-11-28T00:00:00Z") / 1000],
])("parseSince(%p)", (v, want) => {
  expect(parseSince(v as string, NOW)).toBeCloseTo(want as number, 6);
});

test.each(["", "yesterday", "10x", "-5m", "2026-13-45T00:00:00Z", "1h-3m"])("parseSince(%p) is INVALID_ARGUMENT", (v) => {
  let err: unknown;
  try {
    parseSince(v, NOW);
  } catch (e) {
    err = e;
  }
  expect(isSwarmError(err) && err.code === "INVALID_ARGUMENT").toBe(true);
  expect(String(err)).toContain("--since");
});

test("Go durations, timestamps with nanoseconds, Docker's since parameter", () => {
  expect(parseGoDuration("2h45m30.5s")).toBe(9930500);
  expect(parseGoDuration("100us")).toBeCloseTo(0.1, 9);
  expect(parseGoDuration("5")).toBeUndefined();
  expect(tsSeconds("2026-11-28T12:00:00.123456789Z")).toBeCloseTo(NOW / 1000 + 0.123456789, 6);
  expect(sinceParam(1700000000.5)).toBe("1700000000.500000000");
  expect(sinceParam(1700000000)).toBe("1700000000.000000000");
});

test("compareTs orders by nanoseconds, whatever the fraction's length", async () => {
  const { compareTs } = await import("../../internal/logs/index.ts");
  expect(compareTs("2026-01-01T00:00:01.000000001Z", "2026-01-01T00:00:01.000000002Z")).toBeLessThan(0);
  expect(compareTs("2026-01-01T00:00:01.5Z", "2026-01-01T00:00:01.499999999Z")).toBeGreaterThan(0);
  expect(compareTs("2026-01-01T00:00:02Z", "2026-01-01T00:00:01.999999999Z")).toBeGreaterThan(0);
  expect(compareTs("2026-01-01T00:00:01.10Z", "2026-01-01T00:00:01.1Z")).toBe(0);
});
