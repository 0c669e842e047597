/** Invalid files: every problem reported with file:line:column, and nothing returned to deploy. */
import { describe, expect, test } from "bun:test";
import { isSwarmError } from "../../internal/api/index.ts";
import { load, loadError, yaml } from "./helpers.ts";

const one = (line: string) => `the compose file is invalid; nothing was deployed:\n  ${line}`;

describe("bad compose files", () => {
  test("YAML syntax", () => {
    expect(loadError("services:\n  web:\n    image: [busybox\n    ports: 80\n")).toMatch(/^the compose file is invalid; nothing was deployed:\n  compose\.yml:\d+:\d+: invalid YAML: /);
    expect(loadError("services:\n  web:\n    image: a\n    image: b\n")).toBe(one("compose.yml:4:5: invalid YAML: Map keys must be unique"));
    expect(loadError("- a\n- b\n")).toBe(one("compose.yml:1:1: a compose file must be a mapping with a services: key at the top"));
  });

  test("unknown keys (typos) are errors, at the key", () => {
    expect(loadError("services:\n  web:\n    image: busybox\n    imgae: x\n")).toBe(one('compose.yml:4:5: services.web: unknown key "imgae" (did you mean "image"?)'));
    expect(loadError("services:\n  web:\n    image: busybox\n    frobnicate: x\n")).toBe(one('compose.yml:4:5: services.web: unknown key "frobnicate" (not a compose key)'));
    expect(loadError("services:\n  web:\n    image: busybox\n    deploy:\n      replica: 2\n")).toBe(one('compose.yml:5:7: services.web.deploy: unknown key "replica" (did you mean "replicas"?)'));
    expect(loadError("services:\n  web:\n    image: busybox\n    deploy:\n      restart_policy: {when: x}\n")).toBe(
      one('compose.yml:5:24: services.web.deploy.restart_policy: unknown key "when" (expected one of condition, delay, max_attempts, window)'),
    );
    expect(loadError("servics:\n  web:\n    image: busybox\n")).toContain('compose.yml:1:1: top level: unknown key "servics" (did you mean "services"?)');
  });

  test("no services, empty services, no image", () => {
    expect(loadError("version: '3'\n")).toBe(one("compose.yml:1:1: no services: a stack needs a top-level services: mapping"));
    expect(loadError("services: {}\n")).toBe(one("compose.yml:1:1: services: is empty: declare at least one service"));
    expect(loadError("services:\n  web:\n    build: .\n")).toBe(one("compose.yml:3:5: services.web: no image: swarm runs images and does not build them (build: is ignored); add image:"));
  });

  test("wrong types and values, each at its value", () => {
    const msg = loadError(yaml`
      services:
        web:
          image: busybox
          ports: 80
          stop_grace_period: soon
          init: maybe
          deploy:
            mode: everywhere
            resources:
              limits: {memory: lots, cpus: 0.001}
            restart_policy: {condition: always}
        api:
          image: busybox
          deploy:
            mode: global
            replicas: 2
          volumes: [data:/data]
    `);
    expect(msg).toBe([
      "the compose files have 9 errors; nothing was deployed:",
      'compose.yml:4:12: services.web.ports: must be a list such as ["8080:80"]',
      'compose.yml:5:24: services.web.stop_grace_period: invalid duration "soon": use e.g. 10s, 1m30s or 500ms',
      "compose.yml:6:11: services.web.init: must be true or false, not the string \"maybe\"",
      'compose.yml:8:13: services.web.deploy.mode: must be replicated, global, replicated-job or global-job, not "everywhere"',
      'compose.yml:10:26: services.web.deploy.resources.limits.memory: invalid size "lots": use e.g. 512M or 1G',
      'compose.yml:10:38: services.web.deploy.resources.limits.cpus: invalid number of CPUs "0.001": use e.g. 0.5 or 2 (at least 0.01)',
      'compose.yml:11:35: services.web.deploy.restart_policy.condition: must be none, on-failure or any, not "always"',
      "compose.yml:16:17: services.api.deploy.replicas: replicas can only be used with replicated mode",
      'compose.yml:17:15: services.api.volumes[0]: volume "data" is not declared: add it under the top-level volumes: key (or use a path such as ./data for a bind mount)',
    ].join("\n  "));
  });

  test("bad ports and volumes", () => {
    expect(loadError('services:\n  a:\n    image: busybox\n    ports: ["80:http"]\n')).toBe(one('compose.yml:4:13: services.a.ports[0]: invalid port "80:http": ports are numbers, e.g. "8080:80" or "80"'));
    expect(loadError('services:\n  a:\n    image: busybox\n    ports: ["70000:80"]\n')).toBe(one('compose.yml:4:13: services.a.ports[0]: invalid port "70000:80": a port is between 1 and 65535 (a range low-high)'));
    expect(loadError('services:\n  a:\n    image: busybox\n    ports: ["80:80/sctp"]\n')).toBe(one('compose.yml:4:13: services.a.ports[0]: invalid port "80:80/sctp": the protocol must be tcp or udp'));
    expect(loadError('services:\n  a:\n    image: busybox\n    ports: [{published: 80}]\n')).toBe(one("compose.yml:4:13: services.a.ports[0]: a port needs target: (the port inside the container)"));
    expect(loadError('services:\n  a:\n    image: busybox\n    volumes: ["a:b:c:d"]\n')).toBe(one('compose.yml:4:15: services.a.volumes[0]: invalid volume "a:b:c:d": expected [source:]target[:ro|rw]'));
  });

  test("what only the API's schema knows is reported at the compose key it came from", () => {
    const msg = loadError(yaml`
      services:
        a:
          image: busybox
          deploy:
            resources: {limits: {memory: 1M}}
          working_dir: relative/dir
          volumes: [/x:/data, ./y:/data]
        b:
          image: "Not An Image"
          hostname: -bad-
    `);
    expect(msg).toBe([
      "the compose files have 5 errors; nothing was deployed:",
      "compose.yml:5:36: services.a.deploy.resources.limits.memory: must be 0 (no limit) or at least 6291456 bytes (6 MiB) (TaskTemplate.Resources.Limits.MemoryBytes)",
      "compose.yml:6:18: services.a.working_dir: must be a clean absolute path such as /data (no . or .. segments, no trailing /) (TaskTemplate.ContainerSpec.Dir)",
      "compose.yml:7:14: services.a.volumes: two mounts have the target /data (TaskTemplate.ContainerSpec.Mounts[1].Target)",
      'compose.yml:9:12: services.b.image: invalid reference format: whitespace is not allowed in image "Not An Image"; use NAME[:TAG][@sha256:DIGEST], e.g. busybox:latest (TaskTemplate.ContainerSpec.Image)',
      "compose.yml:10:15: services.b.hostname: must be a valid host name (TaskTemplate.ContainerSpec.Hostname)",
    ].join("\n  "));
  });

  test("a missing env_file and a bad .env line", () => {
    expect(loadError("services:\n  a:\n    image: busybox\n    env_file: ./missing.env\n")).toBe(one("compose.yml:4:15: services.a.env_file: env file /srv/app/missing.env not found"));
    expect(loadError("services:\n  a:\n    image: busybox\n", { fs: { "/srv/app/.env": "OK=1\nBAD LINE\n" } })).toBe(one('/srv/app/.env:2:1: "BAD LINE" is not a variable name (expected KEY=VALUE)'));
  });

  test("the error carries every issue as data", () => {
    try {
      load("services:\n  a:\n    image: busybox\n    user: ${NEED:?}\n");
      throw new Error("expected a failure");
    } catch (e) {
      expect(isSwarmError(e)).toBe(true);
      expect((e as any).details.issues).toEqual([{ file: "compose.yml", line: 4, col: 11, message: "required variable NEED is missing a value: NEED is not set" }]);
    }
  });

  test("an alias bomb is refused", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
    lines.push("services: {a: {image: busybox}}");
    expect(loadError(lines.join("\n") + "\n")).toMatch(/compose\.yml:1:1: invalid YAML: more than 200000 values once aliases are expanded/);
  });
});
