/** The flags of `service create` and `service update`, as Docker names them. */
import type { FlagDef } from "../cli/index.ts";

function rolloutFlags(prefix: "update" | "rollback"): FlagDef[] {
  const what = prefix === "update" ? "updates" : "rollbacks";
  const action = prefix === "update" ? '"pause", "continue", "rollback"' : '"pause", "continue"';
  return [
    { name: `${prefix}-parallelism`, kind: "string", value: "uint", help: `Maximum number of tasks updated simultaneously (0 to update all at once) (${what})` },
    { name: `${prefix}-delay`, kind: "string", value: "duration", help: `Delay between ${what} (ns|us|ms|s|m|h)` },
    { name: `${prefix}-failure-action`, kind: "string", help: `Action on failure (${action})` },
    { name: `${prefix}-monitor`, kind: "string", value: "duration", help: `Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default 5s)` },
    { name: `${prefix}-max-failure-ratio`, kind: "string", value: "float", help: `Failure rate to tolerate during ${prefix === "update" ? "an update" : "a rollback"}` },
    { name: `${prefix}-order`, kind: "string", help: `Order of operations ("start-first", "stop-first") (default "stop-first")` },
  ];
}

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
  { name: "health-cmd", kind: "string", help: "Command to run to check health" },
  { name: "health-interval", kind: "string", value: "duration", help: "Time between running the check (ms|s|m|h)" },
  { name: "health-timeout", kind: "string", value: "duration", help: "Maximum time to allow one check to run (ms|s|m|h)" },
  { name: "health-start-period", kind: "string", value: "duration", help: "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)" },
  { name: "health-retries", kind: "string", value: "int", help: "Consecutive failures needed to report unhealthy" },
  { name: "no-healthcheck", kind: "bool", help: "Disable any container-specified HEALTHCHECK" },
  ...rolloutFlags("update"),
  ...rolloutFlags("rollback"),
  { name: "max-concurrent", kind: "string", value: "uint", help: "Number of job tasks to run concurrently (default equal to --replicas)" },
  { name: "detach", short: "d", kind: "bool", help: "Exit immediately instead of waiting for the service to converge" },
  { name: "quiet", short: "q", kind: "bool", help: "Suppress progress output" },
  { name: "help", kind: "bool", help: "Print usage" },
];

export const CREATE_FLAGS: FlagDef[] = [
  { name: "name", kind: "string", help: "Service name" },
  { name: "mode", kind: "string", help: 'Service mode ("replicated", "global", "replicated-job", "global-job") (default "replicated")' },
  { name: "network", kind: "list", help: 'Network attachments (only "host" for now)' },
  { name: "secret", kind: "list", value: "secret", help: "Specify secrets to expose to the service (NAME or source=NAME,target=T,uid=0,gid=0,mode=0444)" },
  { name: "config", kind: "list", value: "config", help: "Specify configurations to expose to the service (NAME or source=NAME,target=/PATH,uid,gid,mode)" },
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
  { name: "secret-add", kind: "list", value: "secret", help: "Add or update a secret on a service" },
  { name: "secret-rm", kind: "list", help: "Remove a secret (by name)" },
  { name: "config-add", kind: "list", value: "config", help: "Add or update a config file on a service" },
  { name: "config-rm", kind: "list", help: "Remove a configuration file (by name)" },
  { name: "rollback", kind: "bool", help: "Rollback to previous specification" },
];
