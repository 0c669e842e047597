/**
 * Stacks: compose files → service specs (load), and a redeploy's plan (plan). Pure; the CLI reads
 * the files and talks to the agent (cmd/swarm/commands/stack-*.ts).
 */
export { loadStack, validateStackName, type ComposeFile, type LoadedStack, type LoadOptions, type StackService } from "./load.ts";
export { planDeploy, listStacks, stackServices, type StackPlan } from "./plan.ts";
export { STACK_LABEL, scopedName } from "./labels.ts";
export { planFiles, stackFiles, withFileIds, type FilePlan, type StackFile } from "./files.ts";
export { interpolate, type InterpolationResult } from "./interpolate.ts";
export { parseDotenv } from "./dotenv.ts";
export { parseShortPort } from "./ports.ts";
export { shellSplit } from "./read.ts";
export type { Issue, Pos } from "./issues.ts";
