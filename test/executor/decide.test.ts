// The executor's pure core, as a table: (desired, reported, container) -> next step.
import { describe, expect, test } from "bun:test";
import { decide, type ContainerObs, type TaskView } from "../../internal/executor/index.ts";

const none: ContainerObs = { kind: "none" };
const created: ContainerObs = { kind: "created", id: "c" };
const running: ContainerObs = { kind: "running", id: "c", pid: 42 };
const exited = (exitCode: number, error = ""): ContainerObs => ({ kind: "exited", id: "c", exitCode, error });
const v = (over: Partial<TaskView>): TaskView => ({ desired: "running", reported: "assigned", container: none, hadContainer: false, nowMs: 1000, ...over });

describe("decide", () => {
  const cases: [string, Partial<TaskView>, object][] = [
    ["new assignment is accepted", {}, { kind: "report", state: "accepted" }],
    ["accepted goes preparing", { reported: "accepted" }, { kind: "report", state: "preparing" }],
    ["preparing without container prepares", { reported: "preparing" }, { kind: "prepare" }],
    ["the restart delay holds before the pull too", { reported: "preparing", notBeforeMs: 5000 }, { kind: "wait", untilMs: 5000 }],
    ["past NotBefore: prepare", { reported: "preparing", notBeforeMs: 500 }, { kind: "prepare" }],
    ["created container before NotBefore waits", { reported: "preparing", container: created, notBeforeMs: 5000 }, { kind: "wait", untilMs: 5000 }],
    ["created container reports starting", { reported: "preparing", container: created, notBeforeMs: 500 }, { kind: "report", state: "starting", container: { ContainerID: "c" } }],
    ["starting container is started", { reported: "starting", container: created }, { kind: "start", id: "c" }],
    ["running container reports running with PID", { reported: "starting", container: running }, { kind: "report", state: "running", container: { ContainerID: "c", PID: 42 } }],
    ["running and reported: idle", { reported: "running", container: running }, { kind: "idle" }],
    ["exit 0: complete", { reported: "running", container: exited(0) }, { kind: "report", state: "complete", container: { ContainerID: "c", ExitCode: 0 } }],
    ["exit 3: failed", { reported: "running", container: exited(3) }, { kind: "report", state: "failed", err: "task: non-zero exit (3)" }],
    ["engine error wins", { reported: "starting", container: exited(127, "exec failed") }, { kind: "report", state: "failed", err: "exec failed" }],
    ["container vanished: failed", { reported: "running", hadContainer: true }, { kind: "report", state: "failed" }],
    ["terminal never restarts", { reported: "failed", container: exited(1) }, { kind: "idle" }],
    ["terminal in store but running: stop", { reported: "orphaned", container: running }, { kind: "stop", id: "c" }],
    ["adopted created container still reports accepted first", { reported: "assigned", container: created }, { kind: "report", state: "accepted" }],
    ["shutdown: stop first", { desired: "shutdown", reported: "running", container: running }, { kind: "stop", id: "c" }],
    ["shutdown: then report", { desired: "shutdown", reported: "running", container: exited(137) }, { kind: "report", state: "shutdown", container: { ContainerID: "c", ExitCode: 137 } }],
    ["shutdown before any container", { desired: "shutdown", reported: "accepted" }, { kind: "report", state: "shutdown" }],
    ["shutdown keeps the container", { desired: "shutdown", reported: "shutdown", container: exited(137) }, { kind: "idle" }],
    ["remove: stop first", { desired: "remove", reported: "running", container: running }, { kind: "stop", id: "c" }],
    ["remove: report shutdown", { desired: "remove", reported: "running", container: exited(137) }, { kind: "report", state: "shutdown" }],
    ["remove: then remove", { desired: "remove", reported: "shutdown", container: exited(137) }, { kind: "remove", id: "c" }],
    ["remove of a terminal task removes without reporting", { desired: "remove", reported: "complete", container: exited(0) }, { kind: "remove", id: "c" }],
    ["remove done", { desired: "remove", reported: "shutdown" }, { kind: "idle" }],
    ["unassigned: stop, never report", { desired: "unassigned", reported: "running", container: running }, { kind: "stop", id: "c" }],
    ["unassigned: remove", { desired: "unassigned", reported: "running", container: exited(137) }, { kind: "remove", id: "c" }],
    ["unassigned without container: idle", { desired: "unassigned", reported: "running" }, { kind: "idle" }],
  ];
  for (const [name, view, want] of cases) test(name, () => expect(decide(v(view))).toMatchObject(want));

  test("level-triggered: the same view gives the same step", () => {
    for (const [, view] of cases) expect(decide(v(view))).toEqual(decide(v(view)));
  });
});
