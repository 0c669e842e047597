export * from "./types.ts";
export * from "./states.ts";
export * from "./errors.ts";
export * from "./commands.ts";
export * from "./token.ts";
export * from "./plain.ts";
export * from "./session.ts";
export * from "./views.ts";
