/** The agent's local HTTP API (the only place that knows HTTP) and its start-up. */
export { startDaemon, firstAddress, type Daemon } from "./daemon.ts";
export { realDeps } from "./real-deps.ts";
export { prepareDataDir } from "./data-dir.ts";
export { serveUnix, serveTcp } from "./listeners.ts";
export { dockerBackend } from "./docker-backend.ts";
export { webSource, webHandler } from "./web-source.ts";
