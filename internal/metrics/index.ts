/** Prometheus metrics: the text exposition format, counters and histograms, and the cluster's gauges. */
export { render, formatValue, Counter, Histogram, CONTENT_TYPE, DEFAULT_BUCKETS_S, type Family, type Sample, type MetricType } from "./exposition.ts";
export { clusterFamilies, type MetricsInput } from "./cluster.ts";
export { RequestMetrics, type ApiName } from "./requests.ts";
