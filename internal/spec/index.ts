export * from "./parse.ts";
export * from "./build.ts";
export * from "./flags.ts";
export * from "./schema.ts";
