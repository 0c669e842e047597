/**
 * `GET /services/{id}/logs` and `/tasks/{id}/logs` bodies as Docker writes them for a container without
 * a TTY: frames of an 8-byte header (stream 1 stdout / 2 stderr, three zero bytes, big-endian length)
 * and one whole line each. With `details=1` each line starts with the swarm context the Docker CLI
 * parses to print `<service>.<slot>.<task>@<node>` — `com.docker.swarm.node.id=…,…service.id=…,
 * …task.id=…` (values query-escaped) — after the timestamp when `timestamps=1`. Pure.
 */
import type { LogRecord } from "../api/index.ts";

export interface LineContext {
  nodeId: string;
  serviceId: string;
  taskId: string;
}

export function detailsText(c: LineContext): string {
  const kv = (k: string, v: string) => `${k}=${encodeURIComponent(v)}`;
  return [kv("com.docker.swarm.node.id", c.nodeId), kv("com.docker.swarm.service.id", c.serviceId), kv("com.docker.swarm.task.id", c.taskId)].join(",");
}

/** One log line as the payload of one frame. */
export function linePayload(r: LogRecord, c: LineContext, o: { timestamps: boolean; details: boolean }): string {
  return `${o.timestamps ? `${r.ts} ` : ""}${o.details ? `${detailsText(c)} ` : ""}${r.line}\n`;
}

export function frame(stream: "stdout" | "stderr" | string, payload: string): Uint8Array {
  const body = new TextEncoder().encode(payload);
  const out = new Uint8Array(8 + body.length);
  out[0] = stream === "stderr" ? 2 : 1;
  new DataView(out.buffer).setUint32(4, body.length, false);
  out.set(body, 8);
  return out;
}
