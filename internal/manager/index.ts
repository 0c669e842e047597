export { newId } from "./ids.ts";
export { allocatePorts, planCreateService, planRemoveServices, planUpdateService, PORT_RANGE } from "./services.ts";
export { startLeaderLoop, type LeaderLoop } from "./leader-loop.ts";
