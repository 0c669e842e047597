/** Name, ID and ID-prefix resolution for services, tasks and nodes. Pure. */
export { findService, findTask, findNode, findSecret, findConfig, tryFind } from "./find.ts";
export {
  filtersFromFlags, filtersFromQuery, checkFilterKeys, nodeMatches, serviceMatches, taskMatches,
  NODE_FILTERS, SERVICE_FILTERS, TASK_FILTERS, type Filters,
} from "./filters.ts";
