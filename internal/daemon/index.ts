export { startDaemon, type Daemon } from "./daemon.ts";
export { defaultConfig, defaultDockerHost, socketFromHost, validateConfig, DEFAULT_DATA_DIR, DEFAULT_SOCKET, type AgentConfig } from "./config.ts";
export { VERSION } from "./cluster.ts";
export type { LogRecord } from "./logs.ts";
export type { ServiceView, TaskView } from "./views.ts";
