/**
 * The agent: the composition of what runs on every host — identity, transport, manager (on managers),
 * node agent — and its lifecycle (init, join, restart, role changes, leave). See agent.ts.
 */
export { Agent, type AgentOptions, type InitResult } from "./agent.ts";
export type { AgentDeps, TransportSetup } from "./deps.ts";
export { localLink } from "./local-link.ts";
