/**
 * Where the Docker-compatible API listens: `docker.sock` beside the agent's socket by default, never
 * the Docker engine's own socket (that would shadow — or, with the engine stopped, replace — it).
 */
import { describe, expect, test } from "bun:test";
import { defaultConfig, dockerApiSocket, validateConfig, type AgentConfig } from "../../internal/config/index.ts";

const cfg = (over: Partial<AgentConfig>): AgentConfig => ({ ...defaultConfig({}), ...over });

describe("--docker-api", () => {
  test("default: docker.sock beside --socket", () => {
    expect(dockerApiSocket(cfg({}))).toBe("/run/swarm/docker.sock");
    expect(dockerApiSocket(cfg({ socketPath: "/srv/a/swarm.sock" }))).toBe("/srv/a/docker.sock");
  });

  test("the default steps aside from the engine's socket", () => {
    expect(dockerApiSocket(cfg({ socketPath: "/var/run/swarm.sock" }))).toBe("/var/run/swarm-docker.sock");
    expect(dockerApiSocket(cfg({ socketPath: "/bed/h1/swarm.sock", dockerHost: "unix:///bed/h1/docker.sock" }))).toBe("/bed/h1/swarm-docker.sock");
  });

  test('"" turns it off; an explicit path is taken as given', () => {
    expect(dockerApiSocket(cfg({ dockerApi: "" }))).toBeUndefined();
    expect(dockerApiSocket(cfg({ dockerApi: "unix:///tmp/d.sock" }))).toBe("/tmp/d.sock");
  });

  test("an explicit path on the engine's socket or the agent's is refused, saying which", () => {
    expect(() => validateConfig(cfg({ dockerApi: "unix:///var/run/docker.sock" }))).toThrow("--docker-api must differ from the Docker engine's socket");
    expect(() => validateConfig(cfg({ dockerApi: "unix:///run/swarm/swarm.sock" }))).toThrow("--docker-api must differ from the agent's --socket");
    expect(validateConfig(cfg({ dockerApi: "unix:///run/swarm/docker.sock" })).dockerApi).toBe("unix:///run/swarm/docker.sock");
  });
});
