/**
 * The translations between swarm's objects and the Docker Engine API's JSON, against Docker's real
 * shapes: request bodies captured from the Docker CLIs (20.10 and 28) and the field sets of moby's
 * api/types/swarm structs (v20.10), checked recursively on everything we emit.
 */
import { describe, expect, test } from "bun:test";
import { ALL_TASK_STATES, type Node, type ServiceSpec, type Task } from "../../internal/api/index.ts";
import {
  detailsText, dockerConfig, dockerNode, dockerSecret, dockerService, dockerServiceSpec, dockerTask, dockerUpdateConfig, fileCreateFrom, fileMatches, frame,
  fromDockerServiceSpec, linePayload, nodeChangesFrom, splitVersion,
} from "../../internal/dockerapi/index.ts";
import { filtersFromFlags, filtersFromQuery, nodeMatches, serviceMatches } from "../../internal/lookup/index.ts";
import { parseServiceSpec } from "../../internal/spec/index.ts";

/** `docker service create --name web -d --replicas 3 -p 8080:80 -e A=1 --constraint node.role==manager --label x=y
 *  --mount type=bind,src=/tmp,dst=/data --limit-cpu 0.5 --limit-memory 64m --restart-condition on-failure
 *  swarm-busybox httpd -f -p 80`, as Debian's docker.io 20.10.24 sends it. */
const CLI_20_CREATE = {
  Name: "web", Labels: { x: "y" },
  TaskTemplate: {
    ContainerSpec: { Image: "swarm-busybox:latest", Args: ["httpd", "-f", "-p", "80"], Env: ["A=1"], Init: false, Mounts: [{ Type: "bind", Source: "/tmp", Target: "/data" }], DNSConfig: {} },
    Resources: { Limits: { NanoCPUs: 500000000, MemoryBytes: 67108864 }, Reservations: {} },
    RestartPolicy: { Condition: "on-failure", Delay: 5000000000, MaxAttempts: 0 },
    Placement: { Constraints: ["node.role==manager"] },
    ForceUpdate: 0,
  },
  Mode: { Replicated: { Replicas: 3 } },
  EndpointSpec: { Mode: "vip", Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] },
};

/** `docker service create --name web2 --detach swarm-busybox sleep 100` from Docker 28.2.2 (and 20.10: the same). */
const CLI_28_CREATE = {
  Name: "web2", Labels: {},
  TaskTemplate: { ContainerSpec: { Image: "swarm-busybox:latest", Args: ["sleep", "100"], Init: false, DNSConfig: {} }, Resources: { Limits: {}, Reservations: {} }, Placement: {}, ForceUpdate: 0 },
  Mode: { Replicated: {} },
  EndpointSpec: { Mode: "vip" },
};

/** `docker service create --name h -d --health-cmd 'test -f /tmp/ok' --health-interval 2s --health-timeout 1s --health-retries 2
 *  --health-start-period 3s --update-parallelism 2 --update-order start-first --update-delay 1s --update-failure-action rollback
 *  --update-monitor 7s --rollback-parallelism 0 --rollback-max-failure-ratio 0.5 --secret s --secret source=s,target=other,uid=1000,gid=1000,mode=0400
 *  --config source=c,target=/etc/app.conf swarm-busybox sleep 1000`, as Debian's 20.10.24 and Docker 28.2.2 send it (the same). */
const CLI_CREATE_ISSUE14 = {
  Name: "h", Labels: {},
  TaskTemplate: {
    ContainerSpec: {
      Image: "swarm-busybox:latest", Args: ["sleep", "1000"], Init: false,
      Healthcheck: { Test: ["CMD-SHELL", "test -f /tmp/ok"], Interval: 2000000000, Timeout: 1000000000, StartPeriod: 3000000000, Retries: 2 }, DNSConfig: {},
      Secrets: [
        { File: { Name: "s", UID: "0", GID: "0", Mode: 292 }, SecretID: "fx2j8st0octbptez128xqer80", SecretName: "s" },
        { File: { Name: "other", UID: "1000", GID: "1000", Mode: 256 }, SecretID: "fx2j8st0octbptez128xqer80", SecretName: "s" },
      ],
      Configs: [{ File: { Name: "/etc/app.conf", UID: "0", GID: "0", Mode: 292 }, ConfigID: "bk5gmncein9k30cg1zyxgtf4e", ConfigName: "c" }],
    },
    Resources: { Limits: {}, Reservations: {} }, Placement: {}, ForceUpdate: 0,
  },
  Mode: { Replicated: {} },
  UpdateConfig: { Parallelism: 2, Delay: 1000000000, FailureAction: "rollback", Monitor: 7000000000, MaxFailureRatio: 0, Order: "start-first" },
  RollbackConfig: { Parallelism: 0, FailureAction: "pause", Monitor: 5000000000, MaxFailureRatio: 0.5, Order: "stop-first" },
  EndpointSpec: { Mode: "vip" },
};

/** Exported fields of moby's api/types/swarm structs (v20.10): what a Docker client can decode. */
type Shape = { [k: string]: Shape | true };
const ANNOT = { Name: true, Labels: true } as const;
const RESOURCES: Shape = { NanoCPUs: true, MemoryBytes: true, GenericResources: true, Pids: true };
const PORT: Shape = { Name: true, Protocol: true, TargetPort: true, PublishedPort: true, PublishMode: true };
const TASK_SPEC: Shape = {
  ContainerSpec: {
    Image: true, Labels: true, Command: true, Args: true, Hostname: true, Env: true, Dir: true, User: true, Groups: true, Privileges: true, Init: true,
    StopSignal: true, TTY: true, OpenStdin: true, ReadOnly: true, Mounts: { Type: true, Source: true, Target: true, ReadOnly: true, Consistency: true, BindOptions: true, VolumeOptions: true, TmpfsOptions: true },
    StopGracePeriod: true, Healthcheck: true, Hosts: true, DNSConfig: true, Secrets: true, Configs: true, Isolation: true, Sysctls: true, CapabilityAdd: true, CapabilityDrop: true, Ulimits: true,
  },
  PluginSpec: true, NetworkAttachmentSpec: true,
  Resources: { Limits: RESOURCES, Reservations: RESOURCES },
  RestartPolicy: { Condition: true, Delay: true, MaxAttempts: true, Window: true },
  Placement: { Constraints: true, Preferences: true, MaxReplicas: true, Platforms: true },
  Networks: { Target: true, Aliases: true, DriverOpts: true },
  LogDriver: true, ForceUpdate: true, Runtime: true,
};
const UPDATE: Shape = { Parallelism: true, Delay: true, FailureAction: true, Monitor: true, MaxFailureRatio: true, Order: true };
const SERVICE_SPEC: Shape = {
  ...ANNOT, TaskTemplate: TASK_SPEC,
  Mode: { Replicated: { Replicas: true }, Global: {}, ReplicatedJob: true, GlobalJob: true },
  UpdateConfig: UPDATE, RollbackConfig: UPDATE, Networks: true, EndpointSpec: { Mode: true, Ports: PORT },
};
const META: Shape = { Version: { Index: true }, CreatedAt: true, UpdatedAt: true };
const SERVICE: Shape = {
  ID: true, ...META, Spec: SERVICE_SPEC, PreviousSpec: SERVICE_SPEC,
  Endpoint: { Spec: { Mode: true, Ports: PORT }, Ports: PORT, VirtualIPs: true },
  UpdateStatus: true, ServiceStatus: { RunningTasks: true, DesiredTasks: true, CompletedTasks: true }, JobStatus: true,
};
const TASK: Shape = {
  ID: true, ...META, ...ANNOT, Spec: TASK_SPEC, ServiceID: true, Slot: true, NodeID: true, DesiredState: true, NetworksAttachments: true, GenericResources: true, JobIteration: true,
  Status: { Timestamp: true, State: true, Message: true, Err: true, ContainerStatus: { ContainerID: true, PID: true, ExitCode: true }, PortStatus: { Ports: PORT } },
};
const NODE: Shape = {
  ID: true, ...META,
  Spec: { ...ANNOT, Role: true, Availability: true },
  Description: { Hostname: true, Platform: { Architecture: true, OS: true }, Resources: RESOURCES, Engine: { EngineVersion: true, Labels: true, Plugins: true }, TLSInfo: true },
  Status: { State: true, Message: true, Addr: true },
  ManagerStatus: { Leader: true, Reachability: true, Addr: true },
};

/** Every key of `v` (recursively, through arrays) is a field of `shape`. */
function fitsShape(v: unknown, shape: Shape | true, path = "$"): string[] {
  if (shape === true || v === null || typeof v !== "object") return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => fitsShape(x, shape, `${path}[${i}]`));
  const out: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (!(k in shape)) out.push(`${path}.${k}`);
    else if (k !== "Labels") out.push(...fitsShape(x, shape[k]!, `${path}.${k}`));
  }
  return out;
}

const at = "2024-05-01T10:00:00.123456789Z";

function spec(extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return parseServiceSpec({ Name: "web", TaskTemplate: { ContainerSpec: { Image: "swarm-busybox" } }, ...extra });
}

const RICH: ServiceSpec = parseServiceSpec({
  Name: "rich",
  Labels: { tier: "front" },
  TaskTemplate: {
    ContainerSpec: {
      Image: "nginx:1.25", Labels: { a: "b" }, Command: ["/bin/sh", "-c"], Args: ["echo hi"], Hostname: "h1", Env: ["A=1", "B=2"], Dir: "/srv", User: "nobody",
      Mounts: [{ Type: "bind", Source: "/data", Target: "/data", ReadOnly: true }, { Type: "volume", Source: "vol", Target: "/v" }, { Type: "tmpfs", Target: "/t" }],
      StopGracePeriod: 3e9, Init: true,
    },
    Resources: { Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 2 ** 20 }, Reservations: { NanoCPUs: 1e8, MemoryBytes: 32 * 2 ** 20 } },
    RestartPolicy: { Condition: "on-failure", Delay: 2e9, MaxAttempts: 3, Window: 60e9 },
    Placement: { Constraints: ["node.role==worker", "node.labels.zone==edge"] },
    ForceUpdate: 2,
  },
  Mode: { Replicated: { Replicas: 4 } },
  EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }, { Protocol: "udp", TargetPort: 53, PublishedPort: 5353, PublishMode: "host" }] },
});

describe("Docker ServiceSpec → ours", () => {
  test("the 20.10 CLI's create body with many flags", () => {
    expect(parseServiceSpec(fromDockerServiceSpec(CLI_20_CREATE))).toEqual({
      Name: "web",
      Labels: { x: "y" },
      TaskTemplate: {
        ContainerSpec: { Image: "swarm-busybox:latest", Args: ["httpd", "-f", "-p", "80"], Env: ["A=1"], Init: false, Mounts: [{ Type: "bind", Source: "/tmp", Target: "/data" }] },
        Resources: { Limits: { NanoCPUs: 500000000, MemoryBytes: 67108864 } },
        RestartPolicy: { Condition: "on-failure", Delay: 5e9, MaxAttempts: 0 },
        Placement: { Constraints: ["node.role==manager"] },
        ForceUpdate: 0,
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }] },
    });
  });

  test("the 28 CLI's minimal body: Replicated {} is one replica, empty blocks are dropped", () => {
    const s = parseServiceSpec(fromDockerServiceSpec(CLI_28_CREATE));
    expect(s.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(s.TaskTemplate.Resources).toBeUndefined();
    expect(s.TaskTemplate.Placement).toBeUndefined();
    expect(s.TaskTemplate.ContainerSpec).toEqual({ Image: "swarm-busybox:latest", Args: ["sleep", "100"], Init: false });
  });

  test.each([
    ["a replicated spec with every field swarm has", RICH],
    ["a global spec on the host network", parseServiceSpec({ Name: "g", TaskTemplate: { ContainerSpec: { Image: "x" }, Networks: [{ Target: "host" }] }, Mode: { Global: {} } })],
    ["a minimal spec", spec()],
    ["health check, update and rollback settings, secrets and configs", parseServiceSpec(fromDockerServiceSpec(CLI_CREATE_ISSUE14))],
    ["a health check disabled, zero delays", spec({ TaskTemplate: { ContainerSpec: { Image: "x", Healthcheck: { Test: ["NONE"] } } }, UpdateConfig: { Parallelism: 0, Delay: 0, FailureAction: "continue", Monitor: 1e9, MaxFailureRatio: 0.2, Order: "stop-first" } } as never)],
    ["a replicated job", spec({ Mode: { ReplicatedJob: { TotalCompletions: 5, MaxConcurrent: 2 } } } as never)],
    ["a global job", spec({ Mode: { GlobalJob: {} } } as never)],
  ])("round trip through Docker's JSON is lossless: %s", (_name, s) => {
    const wire = JSON.parse(JSON.stringify(dockerServiceSpec(s)));
    expect(fitsShape(wire, SERVICE_SPEC)).toEqual([]);
    expect(parseServiceSpec(fromDockerServiceSpec(wire))).toEqual(s);
  });

  test.each([
    ["--health-start-interval", { TaskTemplate: { ContainerSpec: { Image: "x", Healthcheck: { Test: ["CMD", "true"], StartInterval: 1e9 } } } }],
    ["--credential-spec config://", { TaskTemplate: { ContainerSpec: { Image: "x", Configs: [{ ConfigName: "c", ConfigID: "i", Runtime: {} , File: null }, { ConfigName: "c", ConfigID: "i", Runtime: { x: 1 } }] } } }],
    ["--dns", { TaskTemplate: { ContainerSpec: { Image: "x", DNSConfig: { Nameservers: ["1.1.1.1"] } } } }],
    ["--endpoint-mode dnsrr", { TaskTemplate: { ContainerSpec: { Image: "x" } }, EndpointSpec: { Mode: "dnsrr" } }],
    ["--log-driver", { TaskTemplate: { ContainerSpec: { Image: "x" }, LogDriver: { Name: "syslog" } } }],
    ["--placement-pref", { TaskTemplate: { ContainerSpec: { Image: "x" }, Placement: { Preferences: [{ Spread: { SpreadDescriptor: "node.labels.zone" } }] } } }],
    ["--read-only", { TaskTemplate: { ContainerSpec: { Image: "x", ReadOnly: true } } }],
  ])("a field swarm does not implement is refused, naming %s", (flag, body) => {
    expect(() => fromDockerServiceSpec({ Name: "x", ...body })).toThrow(flag);
  });

  test("Docker's defaults and empty values are accepted (what the CLI sends back after an inspect)", () => {
    const body = {
      ...CLI_28_CREATE,
      UpdateConfig: { Parallelism: 1, FailureAction: "pause", Monitor: 1e9, MaxFailureRatio: 0, Order: "stop-first" },
      RollbackConfig: { Parallelism: 0, MaxFailureRatio: 0 },
      TaskTemplate: { ...CLI_28_CREATE.TaskTemplate, Runtime: "container", ContainerSpec: { ...CLI_28_CREATE.TaskTemplate.ContainerSpec, Isolation: "default", Privileges: null, TTY: false, Hosts: [] } },
    };
    expect(parseServiceSpec(fromDockerServiceSpec(body)).Name).toBe("web2");
  });

  test("issue 14's create body: health check, update/rollback settings, secret and config references", () => {
    const s = parseServiceSpec(fromDockerServiceSpec(CLI_CREATE_ISSUE14));
    expect(s.TaskTemplate.ContainerSpec.Healthcheck).toEqual({ Test: ["CMD-SHELL", "test -f /tmp/ok"], Interval: 2e9, Timeout: 1e9, StartPeriod: 3e9, Retries: 2 });
    expect(s.UpdateConfig).toEqual({ Parallelism: 2, Delay: 1e9, FailureAction: "rollback", Monitor: 7e9, MaxFailureRatio: 0, Order: "start-first" });
    expect(s.RollbackConfig).toEqual({ Parallelism: 0, Delay: 0, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0.5, Order: "stop-first" });
    expect(s.TaskTemplate.ContainerSpec.Secrets![1]).toEqual({ File: { Name: "other", UID: "1000", GID: "1000", Mode: 0o400 }, SecretID: "fx2j8st0octbptez128xqer80", SecretName: "s" });
    expect(s.TaskTemplate.ContainerSpec.Configs![0]!.File.Name).toBe("/etc/app.conf");
  });

  test("UpdateConfig as Go's omitempty leaves it: missing Delay 0, empty FailureAction pause, zero Monitor 5 s, empty Order stop-first", () => {
    const base = { Name: "u", TaskTemplate: { ContainerSpec: { Image: "x" } } };
    expect(parseServiceSpec(fromDockerServiceSpec({ ...base, UpdateConfig: { Parallelism: 3, MaxFailureRatio: 0.1, Order: "" } })).UpdateConfig)
      .toEqual({ Parallelism: 3, Delay: 0, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0.1, Order: "stop-first" });
    // Docker's defaults alone (inspect → update sends them back) are no settings.
    expect(parseServiceSpec(fromDockerServiceSpec({ ...base, UpdateConfig: { Parallelism: 1, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" } })).UpdateConfig).toBeUndefined();
    expect(() => parseServiceSpec(fromDockerServiceSpec({ ...base, RollbackConfig: { Parallelism: 1, FailureAction: "rollback", MaxFailureRatio: 0, Order: "" } }))).toThrow("RollbackConfig.FailureAction");
    expect(() => parseServiceSpec(fromDockerServiceSpec({ ...base, Mode: { ReplicatedJob: {} }, UpdateConfig: { Parallelism: 2, MaxFailureRatio: 0, Order: "" } }))).toThrow("jobs have no rolling updates");
    expect(parseServiceSpec(fromDockerServiceSpec({ ...base, Mode: { ReplicatedJob: {} } })).Mode).toEqual({ ReplicatedJob: { TotalCompletions: 1, MaxConcurrent: 1 } });
    expect(dockerUpdateConfig({ Parallelism: 0, Delay: 0, FailureAction: "continue", Monitor: 1e9, MaxFailureRatio: 0, Order: "start-first" }))
      .toEqual({ Parallelism: 0, FailureAction: "continue", Monitor: 1e9, MaxFailureRatio: 0, Order: "start-first" });
  });

  test("our schema still judges the values (a bad port names the field)", () => {
    expect(() => parseServiceSpec(fromDockerServiceSpec({ ...CLI_28_CREATE, EndpointSpec: { Ports: [{ TargetPort: 0 }] } }))).toThrow("EndpointSpec.Ports[0].TargetPort");
  });
});

describe("ours → Docker's JSON", () => {
  const svc = { ID: "s".repeat(25), Version: { Index: 7 }, CreatedAt: at, UpdatedAt: at, Spec: RICH, PreviousSpec: spec(), Endpoint: { Spec: { Ports: RICH.EndpointSpec.Ports }, Ports: RICH.EndpointSpec.Ports } };
  const nodeId = "ab".repeat(32);
  const task: Task = {
    ID: "t".repeat(25), Version: { Index: 3 }, CreatedAt: at, UpdatedAt: at, ServiceID: svc.ID, Slot: 2, NodeID: nodeId, Spec: RICH.TaskTemplate, ServiceVersion: 7,
    Status: { Timestamp: at, State: "running", Message: "started", ContainerStatus: { ContainerID: "c".repeat(64), PID: 42 }, PortStatus: { Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: 30001, PublishMode: "ingress" }] } },
    DesiredState: "running", Attempt: 0,
  };
  const node: Node = {
    ID: nodeId, Version: { Index: 9 }, CreatedAt: at, UpdatedAt: at,
    Spec: { Role: "manager", Availability: "active", Labels: { zone: "edge" } },
    Description: { Hostname: "h1", Platform: { Architecture: "x86_64", OS: "linux" }, Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 32 }, Engine: { EngineVersion: "20.10.24" } },
    Status: { State: "ready", Addr: "10.0.0.1" },
    ManagerStatus: { Leader: true, Reachability: "reachable", Addr: "10.0.0.1:2377" },
    Certificate: { Serial: 4, Role: "manager", NotAfterMs: 0 },
  };

  test("a service fits moby's Service struct; the spec, endpoint and version are carried", () => {
    const d = JSON.parse(JSON.stringify(dockerService(svc, { RunningTasks: 4, DesiredTasks: 4, CompletedTasks: 0 })));
    expect(fitsShape(d, SERVICE)).toEqual([]);
    expect(d.Version).toEqual({ Index: 7 });
    expect(d.Spec.Mode).toEqual({ Replicated: { Replicas: 4 } });
    expect(d.Spec.UpdateConfig).toEqual({ Parallelism: 1, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
    expect(d.Endpoint.Ports).toHaveLength(2);
    expect(d.PreviousSpec.Name).toBe("web");
  });

  test("UpdateStatus and JobStatus as Docker shows them; jobs show no update settings", () => {
    const job = { ...svc, Spec: spec({ Mode: { ReplicatedJob: { TotalCompletions: 2, MaxConcurrent: 1 } } } as never), PreviousSpec: undefined, JobStatus: { JobIteration: { Index: 7 }, LastExecution: at } };
    const u = { ...svc, UpdateStatus: { State: "rollback_completed" as const, StartedAt: at, CompletedAt: at, Message: "rollback completed" } };
    const d = JSON.parse(JSON.stringify(dockerService(u)));
    expect(fitsShape(d, SERVICE)).toEqual([]);
    expect(d.UpdateStatus).toEqual({ State: "rollback_completed", StartedAt: at, CompletedAt: at, Message: "rollback completed" });
    const j = JSON.parse(JSON.stringify(dockerService(job)));
    expect(j.Spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } });
    expect(j.Spec.UpdateConfig).toBeUndefined();
    expect(j.JobStatus).toEqual({ JobIteration: { Index: 7 }, LastExecution: at });
  });

  test("secrets never show data; configs show theirs; create bodies carry it base64", () => {
    const secret = { ID: "s1", Version: { Index: 2 }, CreatedAt: at, UpdatedAt: at, Spec: { Name: "pw", Labels: {} }, Sealed: "c2VhbGVk" };
    expect(dockerSecret(secret)).toEqual({ ID: "s1", Version: { Index: 2 }, CreatedAt: at, UpdatedAt: at, Spec: { Name: "pw", Labels: {} } });
    const config = { ID: "c1", Version: { Index: 3 }, CreatedAt: at, UpdatedAt: at, Spec: { Name: "conf", Labels: { a: "b" }, Data: "eA==" } };
    expect(dockerConfig(config).Spec.Data).toBe("eA==");
    const f = fileCreateFrom("secret", { Name: "pw", Labels: { a: "b" }, Data: Buffer.from("hunter2").toString("base64"), Driver: null, Templating: null });
    expect(new TextDecoder().decode(f.data)).toBe("hunter2");
    expect(f.labels).toEqual({ a: "b" });
    expect(() => fileCreateFrom("secret", { Name: "pw", Data: "eA==", Driver: { Name: "vault" } })).toThrow("secret drivers");
    expect(() => fileCreateFrom("config", { Name: "c", Data: "not base64!" })).toThrow("base64");
    const named = (n: string) => ({ ID: `id-${n}`, Spec: { Name: n, Labels: { team: n } } });
    expect(fileMatches(named("db_password"), filtersFromQuery('{"name":{"db":true}}'))).toBe(true);
    expect(fileMatches(named("db_password"), filtersFromQuery('{"names":{"db":true}}'))).toBe(false);
    expect(fileMatches(named("db"), filtersFromQuery('{"names":{"db":true},"label":{"team=db":true}}'))).toBe(true);
    expect(fileMatches(named("db"), filtersFromQuery('{"id":{"id-x":true}}'))).toBe(false);
  });

  test("a task fits moby's Task struct; its node ID is the 25-character form", () => {
    const d = JSON.parse(JSON.stringify(dockerTask(task)));
    expect(fitsShape(d, TASK)).toEqual([]);
    expect(d.NodeID).toBe(nodeId.slice(0, 25));
    expect(d.Slot).toBe(2);
    expect(d.Status.ContainerStatus).toEqual({ ContainerID: "c".repeat(64), PID: 42, ExitCode: 0 });
    expect(d.Status.PortStatus.Ports[0].PublishedPort).toBe(30001);
    for (const s of ALL_TASK_STATES) expect(["new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running", "complete", "shutdown", "failed", "rejected", "remove", "orphaned"]).toContain(s);
  });

  test("a node fits moby's Node struct (no certificate, 25-character ID)", () => {
    const d = JSON.parse(JSON.stringify(dockerNode(node)));
    expect(fitsShape(d, NODE)).toEqual([]);
    expect(d.ID).toBe(nodeId.slice(0, 25));
    expect(d.ManagerStatus).toEqual({ Leader: true, Reachability: "reachable", Addr: "10.0.0.1:2377" });
    expect(d.Certificate).toBeUndefined();
  });

  test("node update: the whole NodeSpec the CLI sends back becomes the change", () => {
    const cur = node.Spec;
    expect(nodeChangesFrom(cur, { Labels: { zone: "edge", disk: "ssd" }, Role: "manager", Availability: "drain" })).toEqual({ availability: "drain", labelAdd: { disk: "ssd" } });
    expect(nodeChangesFrom(cur, { Labels: {}, Role: "worker", Availability: "active" })).toEqual({ role: "worker", labelRm: ["zone"] });
    expect(nodeChangesFrom(cur, { Labels: null, Role: "manager", Availability: "active" })).toEqual({ labelRm: ["zone"] });
    expect(() => nodeChangesFrom(cur, { Name: "renamed", Labels: {} })).toThrow("NodeSpec.Name");
  });
});

describe("the protocol around the objects", () => {
  test("version prefixes: ours and older are served, newer and too old are refused in Docker's words", () => {
    expect(splitVersion("/v1.41/services")).toEqual({ version: "1.41", path: "/services" });
    expect(splitVersion("/v1.24/info")).toEqual({ version: "1.24", path: "/info" });
    expect(splitVersion("/_ping")).toEqual({ version: "1.41", path: "/_ping" });
    expect(() => splitVersion("/v1.50/info")).toThrow("client version 1.50 is too new. Maximum supported API version is 1.41");
    expect(() => splitVersion("/v1.12/info")).toThrow("client version 1.12 is too old");
  });

  test("filters: Docker's query forms and the CLI's flags mean the same", () => {
    expect(filtersFromQuery('{"role":{"manager":true},"name":{"h":true}}')).toEqual(filtersFromFlags(["role=manager", "name=h"]));
    expect(filtersFromQuery('{"role":["manager"]}')).toEqual(filtersFromFlags(["role=manager"]));
    const n = { ID: "ab".repeat(32), Spec: { Role: "worker", Availability: "active", Labels: { zone: "edge" } }, Description: { Hostname: "Host-4" } } as unknown as Node;
    expect(nodeMatches(n, filtersFromFlags(["role=manager", "role=worker"]))).toBe(true); // values of a key: any
    expect(nodeMatches(n, filtersFromFlags(["role=worker", "name=host"]))).toBe(true); // names: prefix, any case
    expect(nodeMatches(n, filtersFromFlags(["node.label=zone=edge"]))).toBe(true);
    expect(nodeMatches(n, filtersFromFlags(["node.label=zone=core"]))).toBe(false);
    expect(nodeMatches(n, filtersFromFlags(["label=zone"]))).toBe(false); // engine labels: none
    expect(nodeMatches(n, filtersFromFlags(["id=abab"]))).toBe(true);
    expect(() => nodeMatches(n, filtersFromFlags(["role=boss"]))).toThrow("Invalid role filter");
    const s = { ID: "x".repeat(25), Spec: { ...spec(), Name: "webfront", Labels: { a: "1" } } } as never;
    expect(serviceMatches(s, filtersFromFlags(["name=web", "label=a=1", "mode=replicated"]))).toBe(true);
    expect(serviceMatches(s, filtersFromFlags(["name=front"]))).toBe(false); // prefix, not substring
    const job = { ID: "j".repeat(25), Spec: { ...spec(), Mode: { ReplicatedJob: { TotalCompletions: 1, MaxConcurrent: 1 } } } } as never;
    expect(serviceMatches(job, filtersFromFlags(["mode=replicated-job"]))).toBe(true);
    expect(serviceMatches(job, filtersFromFlags(["mode=replicated"]))).toBe(false);
  });

  test("log frames: an 8-byte header and one line, with the details the CLI parses", () => {
    const rec = { task: "t1", name: "web.1", node: "h1", stream: "stderr", ts: at, line: "hello world" };
    const payload = linePayload(rec, { nodeId: "n1", serviceId: "s1", taskId: "t1" }, { timestamps: true, details: true });
    expect(payload).toBe(`${at} com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello world\n`);
    // The CLI splits on the first spaces and parses k=v pairs separated by commas (query-unescaped).
    const [, details] = payload.split(" ");
    expect(Object.fromEntries(details!.split(",").map((kv) => kv.split("=").map(decodeURIComponent)))).toEqual({
      "com.docker.swarm.node.id": "n1", "com.docker.swarm.service.id": "s1", "com.docker.swarm.task.id": "t1",
    });
    expect(detailsText({ nodeId: "a,b", serviceId: "s", taskId: "t" })).toContain("node.id=a%2Cb");
    const f = frame("stderr", "héllo\n");
    expect([...f.slice(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 7]);
    expect(new TextDecoder().decode(f.slice(8))).toBe("héllo\n");
    expect(frame("stdout", "")[0]).toBe(1);
  });
});
