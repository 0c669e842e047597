import { describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { normalizeImage, parseImageRef, isValidImageRef } from "../../internal/imageref/index.ts";

const D = "sha256:" + "a".repeat(64);

describe("parseImageRef accepts Docker's grammar", () => {
  const cases: [string, object][] = [
    ["busybox", { name: "busybox" }],
    ["busybox:latest", { name: "busybox", tag: "latest" }],
    ["swarm-busybox:1.35_x.y-z", { name: "swarm-busybox", tag: "1.35_x.y-z" }],
    ["library/alpine:3.19", { name: "library/alpine", tag: "3.19" }],
    ["a__b/c.d/e-f---g", { name: "a__b/c.d/e-f---g" }],
    ["localhost/app", { name: "localhost/app", domain: "localhost" }],
    ["localhost:5000/app:v1", { name: "localhost:5000/app", tag: "v1", domain: "localhost:5000" }],
    ["registry.example.com/team/app", { name: "registry.example.com/team/app", domain: "registry.example.com" }],
    ["My-Registry.io:443/x", { name: "My-Registry.io:443/x", domain: "My-Registry.io:443" }],
    [`busybox@${D}`, { name: "busybox", digest: D }],
    [`busybox:1@${D}`, { name: "busybox", tag: "1", digest: D }],
    ["x:tag", { name: "x", tag: "tag" }],
  ];
  for (const [ref, want] of cases) test(ref, () => expect(parseImageRef(ref)).toEqual(want as never));
});

describe("parseImageRef rejects bad references with INVALID_ARGUMENT", () => {
  const cases: [string, RegExp][] = [
    ["", /empty reference/],
    ["Busybox", /must be lowercase/],
    ["team/App:1", /must be lowercase/],
    ["busybox:", /tag ""/],
    ["busybox:-x", /tag "-x"/],
    ["busybox:" + "x".repeat(129), /tag/],
    ["busybox@sha256:abc", /digest/],
    [`busybox@md5:${"a".repeat(64)}`, /digest/],
    [`busybox@sha256:${"A".repeat(64)}`, /digest/],
    ["/busybox", /empty path component/],
    ["team//app", /empty path component/],
    ["team/app/", /empty path component/],
    ["bu..sy", /path component/],
    ["-busybox", /path component/],
    ["busy box", /whitespace/],
    [":latest", /missing repository name/],
    ["bad_host.:5000/app", /registry/],
    ["a/" + "b".repeat(260), /longer than 255/],
  ];
  for (const [ref, msg] of cases) {
    test(JSON.stringify(ref.slice(0, 40)), () => {
      let err: unknown;
      try {
        parseImageRef(ref);
      } catch (e) {
        err = e;
      }
      expect(isSwarmError(err)).toBe(true);
      if (!isSwarmError(err)) return;
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toStartWith("invalid reference format: ");
      expect(err.message).toMatch(msg);
      expect(isValidImageRef(ref)).toBe(false);
    });
  }
});

test("normalizeImage adds :latest only without tag or digest", () => {
  expect(normalizeImage("busybox")).toBe("busybox:latest");
  expect(normalizeImage("localhost:5000/app")).toBe("localhost:5000/app:latest");
  expect(normalizeImage("busybox:1.35")).toBe("busybox:1.35");
  expect(normalizeImage(`busybox@${D}`)).toBe(`busybox@${D}`);
  expect(() => normalizeImage("UPPER")).toThrow(/lowercase/);
});
