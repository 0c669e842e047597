/** Several -c files merged in order, by Docker's rules. */
import { describe, expect, test } from "bun:test";
import { load, loadError, spec, yaml } from "./helpers.ts";

const base = yaml`
  services:
    web:
      image: busybox:1.35
      command: [httpd, -f]
      environment: [A=1, B=2]
      labels: {tier: front}
      ports: ["8080:80", "9090:90"]
      volumes: ["./a:/data", "./logs:/logs"]
      deploy:
        replicas: 1
        labels: [x=1]
        placement: {constraints: [node.role==manager]}
        resources: {limits: {memory: 64M}}
    db:
      image: busybox
`;

describe("merging -c files in order", () => {
  test("scalars: the later file wins; mappings merge key by key", () => {
    const s = load([["compose.yml", base], ["override.yml", yaml`
      services:
        web:
          image: busybox:1.36
          deploy:
            replicas: 3
            resources: {limits: {cpus: "0.5"}}
    `]]);
    const w = spec(s, "web");
    expect(w.TaskTemplate.ContainerSpec.Image).toBe("busybox:1.36");
    expect(w.Labels["com.docker.stack.image"]).toBe("busybox:1.36");
    expect(w.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(w.TaskTemplate.Resources).toEqual({ Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 ** 2 } });
  });

  test("command and entrypoint are replaced, not appended", () => {
    const s = load([["compose.yml", base], ["override.yml", "services:\n  web:\n    command: sleep 5\n"]]);
    expect(spec(s, "web").TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "5"]);
  });

  test("environment and labels merge by key whatever form each file uses", () => {
    const s = load([["compose.yml", base], ["override.yml", yaml`
      services:
        web:
          environment: {B: two, C: "3"}
          labels: [team=web]
          deploy:
            labels: {x: "2", y: "1"}
    `]]);
    const w = spec(s, "web");
    expect(w.TaskTemplate.ContainerSpec.Env).toEqual(["A=1", "B=two", "C=3"]);
    expect(w.TaskTemplate.ContainerSpec.Labels).toEqual({ tier: "front", team: "web", "com.docker.stack.namespace": "app" });
    expect(w.Labels).toMatchObject({ x: "2", y: "1" });
  });

  test("ports and volumes are unique resources: same key replaced, new ones appended; other lists append", () => {
    const s = load([["compose.yml", base], ["override.yml", yaml`
      services:
        web:
          ports: ["8080:80", "7070:70"]
          volumes: ["./b:/data"]
          deploy:
            placement: {constraints: [node.labels.disk==ssd]}
    `]]);
    const w = spec(s, "web");
    expect(w.EndpointSpec.Ports.map((p) => `${p.PublishedPort}:${p.TargetPort}`)).toEqual(["8080:80", "9090:90", "7070:70"]);
    expect(w.TaskTemplate.ContainerSpec.Mounts).toEqual([
      { Type: "bind", Source: "/srv/app/b", Target: "/data" },
      { Type: "bind", Source: "/srv/app/logs", Target: "/logs" },
    ]);
    expect(w.TaskTemplate.Placement?.Constraints).toEqual(["node.role==manager", "node.labels.disk==ssd"]);
  });

  test("a port in the long form replaces the same port in the short form", () => {
    const s = load([["compose.yml", base], ["override.yml", "services:\n  web:\n    ports:\n      - {target: 80, published: 8080, mode: host}\n"]]);
    expect(spec(s, "web").EndpointSpec.Ports).toEqual([
      { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "host" },
      { Protocol: "tcp", TargetPort: 90, PublishedPort: 9090, PublishMode: "ingress" },
    ]);
  });

  test("a service only in the override is added; three files merge left to right", () => {
    const s = load([
      ["compose.yml", base],
      ["o1.yml", "services:\n  cache:\n    image: busybox\n    deploy: {replicas: 2}\n"],
      ["o2.yml", "services:\n  cache:\n    deploy: {replicas: 4}\n"],
    ]);
    expect(s.services.map((x) => x.name)).toEqual(["cache", "db", "web"]);
    expect(spec(s, "cache").Mode).toEqual({ Replicated: { Replicas: 4 } });
  });

  test("each file is interpolated on its own; an error in the override points into the override", () => {
    const msg = loadError([["compose.yml", base], ["prod.yml", "services:\n  web:\n    image: busybox:${TAG:?set TAG to the release}\n"]]);
    expect(msg).toBe("the compose file is invalid; nothing was deployed:\n  prod.yml:3:12: required variable TAG is missing a value: set TAG to the release");
  });

  test("a type error that only the merged result has is reported where the override wrote it", () => {
    const msg = loadError([["compose.yml", base], ["o.yml", "services:\n  web:\n    deploy:\n      replicas: many\n"]]);
    expect(msg).toContain('o.yml:4:17: services.web.deploy.replicas: must be an integer, not "many"');
  });
});

describe("errors of several files", () => {
  test("are listed in -c order, then by line and column", () => {
    const msg = loadError([
      ["z-base.yml", "services:\n  web:\n    image: busybox\n    imgae: x\n"],
      ["a-override.yml", "services:\n  web:\n    deploy:\n      replicas: many\n"],
    ]);
    expect(msg).toBe([
      "the compose files have 2 errors; nothing was deployed:",
      'z-base.yml:4:5: services.web: unknown key "imgae" (did you mean "image"?)',
      'a-override.yml:4:17: services.web.deploy.replicas: must be an integer, not "many"',
    ].join("\n  "));
  });
});
