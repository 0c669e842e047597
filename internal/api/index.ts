export * from "./types.ts";
export * from "./states.ts";
export * from "./errors.ts";
export * from "./commands.ts";
