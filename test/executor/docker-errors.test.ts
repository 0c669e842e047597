import { expect, test } from "bun:test";
import { toRuntimeError } from "../../internal/executor/index.ts";

test("engine messages are unwrapped from dockerode's errors", () => {
  const pull = Object.assign(new Error('(HTTP code 500) server error - Get "http://127.0.0.1:1/v2/": connection refused '), { statusCode: 500, json: null });
  expect(toRuntimeError(pull)).toMatchObject({ status: 500, message: 'Get "http://127.0.0.1:1/v2/": connection refused' });
  const create = Object.assign(new Error("(HTTP code 404) no such container - No such image: x:latest "), { statusCode: 404, json: { message: "No such image: x:latest" } });
  expect(toRuntimeError(create)).toMatchObject({ status: 404, message: "No such image: x:latest" });
  const down = Object.assign(new Error("connect ENOENT /x.sock"), { code: "ENOENT" });
  const r = toRuntimeError(down);
  expect(r.status).toBeUndefined();
  expect(r.unreachable).toBe(true);
});
