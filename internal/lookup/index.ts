/** Name, ID and ID-prefix resolution for services, tasks and nodes. Pure. */
export { findService, findTask, findNode, findSecret, findConfig, tryFind } from "./find.ts";
