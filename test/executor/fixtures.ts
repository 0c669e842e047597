// Test helpers for the executor: task builder and a tiny store twin that applies task.status commands
// the way the state machine does (only forward, via canAdvance) and records everything reported.
import { canAdvance, stateRank, type Command, type Task, type TaskSpec, type TaskState } from "../../internal/api/index.ts";
import type { Assignment } from "../../internal/executor/index.ts";

export const CLUSTER = "clu1";
export const NODE = "node1";

let seq = 0;
export function makeTask(over: Partial<Task> & { image?: string; args?: string[]; spec?: Partial<TaskSpec["ContainerSpec"]> } = {}): Task {
  const { image, args, spec, ...rest } = over;
  seq++;
  const id = rest.ID ?? `t${String(seq).padStart(4, "0")}${Math.random().toString(36).slice(2, 8)}`;
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: new Date().toISOString(),
    UpdatedAt: new Date().toISOString(),
    ServiceID: "svc1",
    Slot: seq,
    NodeID: NODE,
    Spec: {
      ContainerSpec: { Image: image ?? "swarm-busybox:latest", Args: args ?? ["sleep", "1000"], StopGracePeriod: 1e9, ...spec },
      RestartPolicy: { Condition: "any", Delay: 5e9, MaxAttempts: 0 },
      ForceUpdate: 0,
    },
    ServiceVersion: 1,
    Status: { Timestamp: new Date().toISOString(), State: "assigned", Message: "assigned" },
    DesiredState: "running",
    Attempt: 0,
    ...rest,
  };
}

export class StoreTwin {
  tasks = new Map<string, Task>();
  commands: Command[] = [];
  batches: number[] = [];
  backwards: string[] = [];
  failNext = 0;
  serviceName = "web";

  report = async (cmds: Command[]): Promise<void> => {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("store unavailable (test)");
    }
    this.batches.push(cmds.length);
    for (const c of cmds) {
      this.commands.push(c);
      if (c.kind !== "task.status") continue;
      const t = this.tasks.get(c.id);
      if (!t) continue;
      if (stateRank(c.status.State) < stateRank(t.Status.State)) this.backwards.push(`${c.id}: ${t.Status.State} -> ${c.status.State}`);
      if (canAdvance(t.Status.State, c.status.State)) t.Status = structuredClone(c.status);
    }
  };

  add(...tasks: Task[]): void {
    for (const t of tasks) this.tasks.set(t.ID, t);
  }

  assignments(): Assignment[] {
    return [...this.tasks.values()].map((task) => ({ task: structuredClone(task), serviceName: this.serviceName }));
  }

  state(id: string): TaskState | undefined {
    return this.tasks.get(id)?.Status.State;
  }

  /** States reported for one task, in order. */
  reported(id: string): TaskState[] {
    return this.commands.flatMap((c) => (c.kind === "task.status" && c.id === id ? [c.status.State] : []));
  }

  setDesired(id: string, d: Task["DesiredState"]): void {
    this.tasks.get(id)!.DesiredState = d;
  }
}
