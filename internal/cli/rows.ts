/**
 * The rows `--format` templates see, field for field what Docker's formatter contexts expose (and what
 * scripts written for Docker use): services (`service ls`), tasks (`service ps`, `node ps`) and nodes
 * (`node ls`), with Docker's default tables and header names.
 */
import { modeName, type Node, type ServiceView, type TaskState, type TaskView } from "../api/index.ts";
import { ago, capitalize, portsText, shortId } from "./format.ts";
import type { RowFormat } from "./output.ts";

export interface ServiceRow {
  ID: string;
  Name: string;
  Mode: string;
  Replicas: string;
  Image: string;
  Ports: string;
}

export const SERVICE_FORMAT: RowFormat<ServiceRow> = {
  defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}",
  headers: { ID: "ID", Name: "NAME", Mode: "MODE", Replicas: "REPLICAS", Image: "IMAGE", Ports: "PORTS" },
};

/** `2/3`, or for a job `1/1 (3/5 completed)` as Docker shows it. */
export function replicasText(v: ServiceView): string {
  const base = `${v.Running}/${v.Desired}`;
  return v.Completed ? `${base} (${v.Completed.Done}/${v.Completed.Total} completed)` : base;
}

export function serviceRow(v: ServiceView, noTrunc: boolean): ServiceRow {
  const s = v.Service;
  return {
    ID: shortId(s.ID, noTrunc),
    Name: s.Spec.Name,
    Mode: modeName(s.Spec),
    Replicas: replicasText(v),
    Image: s.Spec.TaskTemplate.ContainerSpec.Image,
    Ports: portsText(s.Endpoint.Ports),
  };
}

export interface TaskRow {
  ID: string;
  Name: string;
  Image: string;
  Node: string;
  DesiredState: string;
  CurrentState: string;
  Error: string;
  Ports: string;
}

export const TASK_FORMAT: RowFormat<TaskRow> = {
  defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}",
  headers: { ID: "ID", Name: "NAME", Image: "IMAGE", Node: "NODE", DesiredState: "DESIRED STATE", CurrentState: "CURRENT STATE", Error: "ERROR", Ports: "PORTS" },
};

export function currentState(state: TaskState, since: string, now = Date.now()): string {
  return `${capitalize(state)} ${ago(since, now)}`;
}

/** `history`: an older task of the same slot, shown as ` \_ name` under the newest. */
export function taskRow(view: TaskView, history: boolean, noTrunc: boolean, now = Date.now()): TaskRow {
  const t = view.Task;
  const err = t.Status.Err ?? "";
  const ports = (t.Status.PortStatus?.Ports ?? []).filter((p) => p.PublishMode === "host");
  return {
    ID: shortId(t.ID, noTrunc),
    Name: (history ? " \\_ " : "") + view.Name,
    Image: t.Spec.ContainerSpec.Image,
    Node: view.NodeHostname,
    DesiredState: capitalize(t.DesiredState),
    CurrentState: currentState(t.Status.State, t.Status.Timestamp, now),
    Error: noTrunc || err.length <= 40 ? (err ? `"${err}"` : "") : `"${err.slice(0, 37)}…"`,
    Ports: portsText(ports),
  };
}

export interface NodeRow {
  ID: string;
  Self: boolean;
  Hostname: string;
  Status: string;
  Availability: string;
  ManagerStatus: string;
  EngineVersion: string;
  TLSStatus: string;
}

export const NODE_FORMAT: RowFormat<NodeRow> = {
  defaultTable: "table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}",
  headers: { ID: "ID", Self: "" as never, Hostname: "HOSTNAME", Status: "STATUS", Availability: "AVAILABILITY", ManagerStatus: "MANAGER STATUS", EngineVersion: "ENGINE VERSION", TLSStatus: "TLS STATUS" },
};

/** Node IDs are 64 hex characters (the node's public key); tables show the first 25, like Docker's IDs. */
export const NODE_ID_WIDTH = 25;

export function nodeRow(n: Node, selfId: string, now = Date.now()): NodeRow {
  const ms = n.ManagerStatus;
  const cert = n.Certificate;
  return {
    ID: n.ID.slice(0, NODE_ID_WIDTH),
    Self: n.ID === selfId,
    Hostname: n.Description.Hostname,
    Status: capitalize(n.Status.State),
    Availability: capitalize(n.Spec.Availability),
    ManagerStatus: ms ? (ms.Leader ? "Leader" : capitalize(ms.Reachability)) : "",
    EngineVersion: n.Description.Engine.Unreachable ? "unreachable" : n.Description.Engine.EngineVersion,
    TLSStatus: !cert ? "Unknown" : cert.NotAfterMs > now ? "Ready" : "Needs Rotation",
  };
}
