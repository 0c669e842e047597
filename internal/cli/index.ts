export * from "./flags.ts";
export * from "./format.ts";
export * from "./converge.ts";
export * from "./update.ts";
