/** Issue 11, defect 11: Docker's errors surfaced as `Error: Error: (HTTP code 500) …`. One clean line now. */
import { expect, test } from "bun:test";
import { SwarmError } from "../../internal/api/index.ts";
import { plainMessage } from "../../internal/daemon/http.ts";
import { errorText } from "../../cmd/swarm/error-text.ts";

test("the CLI prints an error's own words once", () => {
  expect(errorText(new Error("Error: (HTTP code 500) server error - No such image: x:latest"))).toBe("No such image: x:latest");
  expect(errorText(new Error("Error: Error: boom"))).toBe("boom");
  expect(errorText(SwarmError.invalid("invalid name \"x y\""))).toBe('invalid name "x y"');
  expect(errorText("")).toBe("unknown error (see the agent log)");
});

test("the agent's stream errors carry the engine's message, not dockerode's wrapper", () => {
  const dockerode = Object.assign(new Error("(HTTP code 500) server error - container abc is not running"), { statusCode: 500, json: { message: "container abc is not running" } });
  expect(plainMessage(dockerode)).toBe("container abc is not running");
  expect(plainMessage(new Error("Error: plain"))).toBe("plain");
  expect(plainMessage("text")).toBe("text");
});
