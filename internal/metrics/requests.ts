/**
 * Request counters and latency of the agent's HTTP APIs: `api` is "swarm" (the CLI's socket),
 * "docker" (the Docker-compatible socket) or "web". Errors the Docker-compatible API answers (status
 * 400 and up) are also counted by status, as `swarm_docker_api_errors_total`.
 */
import { Counter, Histogram, type Family } from "./exposition.ts";

export type ApiName = "swarm" | "docker" | "web";

export class RequestMetrics {
  private readonly requests = new Counter("swarm_api_requests_total", "API requests answered, by API, method and status code");
  private readonly latency = new Histogram("swarm_api_request_duration_seconds", "Time to answer an API request (streams: until the answer starts)");
  private readonly dockerErrors = new Counter("swarm_docker_api_errors_total", "Errors answered by the Docker-compatible API, by status code");

  observe(api: ApiName, method: string, status: number, seconds: number): void {
    this.requests.inc({ api, method, code: String(status) });
    this.latency.observe({ api }, seconds);
    if (api === "docker" && status >= 400) this.dockerErrors.inc({ code: String(status) });
  }

  families(): Family[] {
    const errors = this.dockerErrors.family();
    return [this.requests.family(), this.latency.family(), errors];
  }

  /** Wraps a handler so every answer is counted (the time until the response object exists). */
  wrap<A extends unknown[]>(api: ApiName, handler: (req: Request, ...rest: A) => Promise<Response>): (req: Request, ...rest: A) => Promise<Response> {
    return async (req, ...rest) => {
      const t0 = performance.now();
      const res = await handler(req, ...rest);
      this.observe(api, req.method, res.status, (performance.now() - t0) / 1000);
      return res;
    };
  }
}
