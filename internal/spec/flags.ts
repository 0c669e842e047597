/** The flags of `service create` and `service update`, as Docker names them. */
import type { FlagDef } from "../cli/index.ts";

const common: FlagDef[] = [
  { name: "replicas", kind: "string", value: "uint", help: "Number of tasks" },
  { name: "env", short: "e", kind: "list", help: "Set environment variables" },
  { name: "label", short: "l", kind: "list", help: "Service labels" },
  { name: "container-label", kind: "list", help: "Container labels" },
  { name: "constraint", kind: "list", help: "Placement constraints (node.role==manager, node.labels.x!=y)" },
  { name: "mount", kind: "list", value: "mount", help: "Attach a filesystem mount (type=bind|volume|tmpfs,src=…,dst=…[,readonly])" },
  { name: "publish", short: "p", kind: "list", value: "port", help: "Publish a port as a node port ([published:]target[/proto] or long syntax)" },
  { name: "restart-condition", kind: "string", help: 'Restart when condition is met ("none", "on-failure", "any")' },
  { name: "restart-delay", kind: "string", value: "duration", help: "Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)" },
  { name: "restart-max-attempts", kind: "string", value: "uint", help: "Maximum number of restarts before giving up" },
  { name: "restart-window", kind: "string", value: "duration", help: "Window used to evaluate the restart policy" },
  { name: "stop-grace-period", kind: "string", value: "duration", help: "Time to wait before force killing a container (default 10s)" },
  { name: "entrypoint", kind: "string", value: "command", help: "Overwrite the default ENTRYPOINT of the image" },
  { name: "workdir", short: "w", kind: "string", help: "Working directory inside the container" },
  { name: "user", short: "u", kind: "string", help: "Username or UID (format: <name|uid>[:<group|gid>])" },
  { name: "hostname", kind: "string", help: "Container hostname" },
  { name: "limit-cpu", kind: "string", value: "decimal", help: "Limit CPUs" },
  { name: "limit-memory", kind: "string", value: "bytes", help: "Limit Memory" },
  { name: "reserve-cpu", kind: "string", value: "decimal", help: "Reserve CPUs" },
  { name: "reserve-memory", kind: "string", value: "bytes", help: "Reserve Memory" },
  { name: "init", kind: "bool", help: "Run an init inside each task container that forwards signals and reaps processes (default true)" },
  { name: "detach", short: "d", kind: "bool", help: "Exit immediately instead of waiting for the service to converge" },
  { name: "quiet", short: "q", kind: "bool", help: "Suppress progress output" },
  { name: "help", kind: "bool", help: "Print usage" },
];

export const CREATE_FLAGS: FlagDef[] = [
  { name: "name", kind: "string", help: "Service name" },
  { name: "mode", kind: "string", help: 'Service mode ("replicated" or "global") (default "replicated")' },
  { name: "network", kind: "list", help: 'Network attachments (only "host" for now)' },
  ...common.filter((d) => d.name !== "constraint" && d.name !== "publish"),
  { name: "constraint", kind: "list", help: "Placement constraints (node.role==manager, node.labels.x!=y)" },
  { name: "publish", short: "p", kind: "list", value: "port", help: "Publish a port as a node port ([published:]target[/proto] or long syntax)" },
];

export const UPDATE_FLAGS: FlagDef[] = [
  ...common.filter((d) => !["env", "label", "container-label", "constraint", "mount", "publish"].includes(d.name)),
  { name: "image", kind: "string", help: "Service image tag" },
  { name: "args", kind: "string", value: "command", help: "Service command args" },
  { name: "env-add", kind: "list", help: "Add or update an environment variable" },
  { name: "env-rm", kind: "list", help: "Remove an environment variable" },
  { name: "label-add", kind: "list", help: "Add or update a service label" },
  { name: "label-rm", kind: "list", help: "Remove a label by its key" },
  { name: "container-label-add", kind: "list", help: "Add or update a container label" },
  { name: "container-label-rm", kind: "list", help: "Remove a container label by its key" },
  { name: "constraint-add", kind: "list", help: "Add or update a placement constraint" },
  { name: "constraint-rm", kind: "list", help: "Remove a constraint" },
  { name: "mount-add", kind: "list", value: "mount", help: "Add or update a mount on a service" },
  { name: "mount-rm", kind: "list", help: "Remove a mount by its target path" },
  { name: "publish-add", kind: "list", value: "port", help: "Add or update a published port" },
  { name: "publish-rm", kind: "list", value: "port", help: "Remove a published port by its target port" },
  { name: "force", kind: "bool", help: "Force update even if no changes require it" },
];
