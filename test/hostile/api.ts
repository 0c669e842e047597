/**
 * The agent's HTTP router on a whole in-process cluster (test/cluster harness: a real Agent over the
 * in-memory transport, one-voter Raft and the fake runtime). Requests go through `makeRouter` exactly as
 * Bun.serve hands them over, so body parsing, validation and error mapping are what a client meets.
 */
import { makeRouter } from "../../internal/daemon/routes.ts";
import { TestCluster, type TestNode } from "../cluster/harness.ts";

export interface Reply {
  status: number;
  body: any;
}

export class ApiBench {
  private constructor(
    readonly cluster: TestCluster,
    readonly node: TestNode,
    readonly route: (req: Request) => Promise<Response>,
  ) {}

  static async start(seed: number): Promise<ApiBench> {
    const cluster = await TestCluster.start(seed, 1, 0);
    const node = cluster.nodes[0]!;
    return new ApiBench(cluster, node, makeRouter(node.api, () => undefined));
  }

  async call(method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
    const init: RequestInit = { method };
    if (raw !== undefined) init.body = raw;
    else if (body !== undefined) init.body = JSON.stringify(body);
    const res = await this.route(new Request(`http://agent${path}`, init));
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  }

  close(): Promise<void> {
    return this.cluster.close();
  }
}
