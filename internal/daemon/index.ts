export { startDaemon, type Daemon } from "./daemon.ts";
export type { LogRecord } from "./logs.ts";
export type { ServiceView, TaskView } from "./views.ts";
export { MeshLink, meshInputs, type MeshInputs, type StateFeed } from "./mesh-link.ts";
