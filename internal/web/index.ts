/**
 * The read-only web address of a node: the live visualizer page (nodes as columns, tasks as cards,
 * server-sent events), the same view as JSON, and Prometheus `/metrics`. Served by internal/daemon on
 * `--web`; everything is embedded (no CDN).
 */
export { createWebHandler, type WebSource, type WebOptions } from "./handler.ts";
export { clusterView, notManagerView, type ClusterView, type NodeCard, type TaskCard, type ServiceCard } from "./view.ts";
export { PAGE_HTML } from "./page.ts";
