export * from "./flags.ts";
export * from "./format.ts";
export * from "./converge.ts";
export * from "./update.ts";
export * from "./template.ts";
export * from "./output.ts";
export * from "./rows.ts";
