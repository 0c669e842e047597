/** `service update --publish-add` keeps Docker's meaning: add a port, or update the one with the same published port. */
import { describe, expect, test } from "bun:test";
import { parseFlags } from "../../internal/cli/index.ts";
import { buildCreateSpec, buildUpdateSpec, CREATE_FLAGS, UPDATE_FLAGS } from "../../internal/spec/index.ts";

const base = buildCreateSpec(parseFlags(["--name", "web", "-p", "8080:80", "busybox"], CREATE_FLAGS, { interspersed: false }));
const update = (...argv: string[]) => buildUpdateSpec(base, parseFlags(argv, UPDATE_FLAGS)).EndpointSpec.Ports.map((p) => `${p.PublishedPort}:${p.TargetPort}/${p.Protocol}`);

describe("--publish-add", () => {
  test("a second published port for the same target port joins the first", () => {
    expect(update("--publish-add", "9090:80")).toEqual(["8080:80/tcp", "9090:80/tcp"]);
  });
  test("the same published port updates the existing one; another protocol is another port", () => {
    expect(update("--publish-add", "8080:81")).toEqual(["8080:81/tcp"]);
    expect(update("--publish-add", "8080:80/udp")).toEqual(["8080:80/tcp", "8080:80/udp"]);
  });
  test("--publish-rm by target port removes every port of that target", () => {
    expect(update("--publish-add", "9090:80", "--publish-rm", "80")).toEqual(["9090:80/tcp"]);
  });
});
