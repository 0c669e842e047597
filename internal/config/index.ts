/** Agent configuration and build facts: light on purpose, so CLI commands load fast. */
export * from "./agent-config.ts";

export const VERSION = process.env.SWARM_BUILD_VERSION ?? "0.1.0-dev";
