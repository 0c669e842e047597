/** Every compose key swarm maps, and what the spec holds afterwards (the shared schema has run). */
import { describe, expect, test } from "bun:test";
import { load, loadError, spec, yaml } from "./helpers.ts";

describe("compose → service spec", () => {
  test("names, the stack's labels and the defaults Docker's CLI leaves unset", () => {
    const s = load(yaml`
      services:
        web:
          image: busybox
    `, {}, "shop");
    expect(s.namespace).toBe("shop");
    expect(s.warnings).toEqual([]);
    expect(spec(s, "web")).toEqual({
      Name: "shop_web",
      Labels: { "com.docker.stack.namespace": "shop", "com.docker.stack.image": "busybox" },
      TaskTemplate: {
        ContainerSpec: { Image: "busybox:latest", Labels: { "com.docker.stack.namespace": "shop" } },
        RestartPolicy: { Condition: "any", Delay: 5e9, MaxAttempts: 0 },
        ForceUpdate: 0,
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Ports: [] },
    });
  });

  test("image, command, entrypoint (string split like a shell, or a list)", () => {
    const s = load(yaml`
      services:
        a:
          image: registry.local:5000/team/api:1.10
          command: sh -c 'echo "hello world"; sleep 1'
          entrypoint: ["/bin/tini", "--"]
        b:
          image: busybox
          command: [sleep, "1000"]
    `);
    const a = spec(s, "a").TaskTemplate.ContainerSpec;
    expect(a.Image).toBe("registry.local:5000/team/api:1.10");
    expect(a.Args).toEqual(["sh", "-c", 'echo "hello world"; sleep 1']);
    expect(a.Command).toEqual(["/bin/tini", "--"]);
    expect(spec(s, "b").TaskTemplate.ContainerSpec.Args).toEqual(["sleep", "1000"]);
  });

  test("environment as a list and as a mapping, env_file under it, values from the environment, sorted", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          env_file: [./common.env, {path: ./optional.env, required: false}]
          environment:
            - ZED=1
            - SHARED=from-compose
            - FROM_HOST
            - NOT_ANYWHERE
        b:
          image: busybox
          environment:
            NUM: 3
            BOOL: true
            EMPTY: ""
            FROM_HOST:
    `, { env: { FROM_HOST: "h" }, fs: { "/srv/app/common.env": "SHARED=from-file\nONLY_FILE=f\n" } });
    expect(spec(s, "a").TaskTemplate.ContainerSpec.Env).toEqual(["FROM_HOST=h", "NOT_ANYWHERE", "ONLY_FILE=f", "SHARED=from-compose", "ZED=1"]);
    expect(spec(s, "b").TaskTemplate.ContainerSpec.Env).toEqual(["BOOL=true", "EMPTY=", "FROM_HOST=h", "NUM=3"]);
  });

  test("ports: short forms, ranges, udp, long form with host mode", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          ports:
            - "8080:80"
            - "9000"
            - "5353:53/udp"
            - "7000-7001:7100-7101"
            - target: 443
              published: 8443
              mode: host
            - target: 22
    `);
    expect(spec(s, "a").EndpointSpec.Ports).toEqual([
      { Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 9000, PublishedPort: 0, PublishMode: "ingress" },
      { Protocol: "udp", TargetPort: 53, PublishedPort: 5353, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 7100, PublishedPort: 7000, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 7101, PublishedPort: 7001, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 443, PublishedPort: 8443, PublishMode: "host" },
      { Protocol: "tcp", TargetPort: 22, PublishedPort: 0, PublishMode: "ingress" },
    ]);
  });

  test("a host IP on a port is ignored with a warning", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          ports: ["127.0.0.1:8080:80"]
    `);
    expect(spec(s, "a").EndpointSpec.Ports).toEqual([{ Protocol: "tcp", TargetPort: 80, PublishedPort: 8080, PublishMode: "ingress" }]);
    expect(s.warnings).toEqual(['service "a": ignoring the host IP 127.0.0.1 of services.a.ports[0] (a published port answers on every address of every node)']);
  });

  test("volumes: binds (relative, ~, absolute), named (scoped, external, name:), anonymous, read-only, tmpfs", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          volumes:
            - ./data:/data
            - ~/cache:/cache:ro
            - /etc/hosts:/etc/hosts2:ro
            - db:/var/db
            - shared:/shared
            - named:/named
            - /anon
            - type: bind
              source: ../conf
              target: /conf
              read_only: true
            - type: tmpfs
              target: /scratch
          tmpfs: [/run]
      volumes:
        db:
        shared:
          external: true
        named:
          name: exact-name
    `, { env: { HOME: "/home/u" } });
    expect(spec(s, "a").TaskTemplate.ContainerSpec.Mounts).toEqual([
      { Type: "bind", Source: "/srv/app/data", Target: "/data" },
      { Type: "bind", Source: "/home/u/cache", Target: "/cache", ReadOnly: true },
      { Type: "bind", Source: "/etc/hosts", Target: "/etc/hosts2", ReadOnly: true },
      { Type: "volume", Source: "app_db", Target: "/var/db" },
      { Type: "volume", Source: "shared", Target: "/shared" },
      { Type: "volume", Source: "exact-name", Target: "/named" },
      { Type: "volume", Target: "/anon" },
      { Type: "bind", Source: "/srv/conf", Target: "/conf", ReadOnly: true },
      { Type: "tmpfs", Target: "/scratch" },
      { Type: "tmpfs", Target: "/run" },
    ]);
  });

  test("working_dir, user, hostname, labels (list and mapping), init, stop_grace_period, network_mode: host", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          working_dir: /app
          user: "1000:1000"
          hostname: box1
          labels: [tier=front, team=web]
          init: false
          stop_grace_period: 1m30s
          network_mode: host
        b:
          image: busybox
          labels:
            tier: back
          init: true
    `);
    const a = spec(s, "a");
    expect(a.TaskTemplate.ContainerSpec).toMatchObject({
      Dir: "/app", User: "1000:1000", Hostname: "box1", Init: false, StopGracePeriod: 90e9,
      Labels: { tier: "front", team: "web", "com.docker.stack.namespace": "app" },
    });
    expect(a.TaskTemplate.Networks).toEqual([{ Target: "host" }]);
    expect(a.Labels).toEqual({ "com.docker.stack.namespace": "app", "com.docker.stack.image": "busybox" });
    expect(spec(s, "b").TaskTemplate.ContainerSpec.Labels).toEqual({ tier: "back", "com.docker.stack.namespace": "app" });
    expect(spec(s, "b").TaskTemplate.ContainerSpec.Init).toBe(true);
  });

  test("deploy: mode, replicas, constraints, resources, restart policy, labels", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          deploy:
            replicas: 3
            placement:
              constraints: [node.role==worker, node.labels.zone==a]
            resources:
              limits: {cpus: "0.5", memory: 64M}
              reservations: {cpus: 0.25, memory: 32m}
            restart_policy:
              condition: on-failure
              delay: 2s
              max_attempts: 4
              window: 30s
            labels:
              traefik.enable: "true"
        b:
          image: busybox
          deploy:
            mode: global
    `);
    const a = spec(s, "a");
    expect(a.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(a.TaskTemplate.Placement).toEqual({ Constraints: ["node.role==worker", "node.labels.zone==a"] });
    expect(a.TaskTemplate.Resources).toEqual({ Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 ** 2 }, Reservations: { NanoCPUs: 2.5e8, MemoryBytes: 32 * 1024 ** 2 } });
    expect(a.TaskTemplate.RestartPolicy).toEqual({ Condition: "on-failure", Delay: 2e9, MaxAttempts: 4, Window: 30e9 });
    expect(a.Labels).toEqual({ "traefik.enable": "true", "com.docker.stack.namespace": "app", "com.docker.stack.image": "busybox" });
    expect(spec(s, "b").Mode).toEqual({ Global: {} });
  });

  test("interpolation from the environment and from .env beside the first file (the environment wins)", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox:\${TAG:-1.36}
          deploy:
            replicas: \${N}
          environment:
            GREETING: \${GREETING}
            PRICE: $$5
    `, { env: { GREETING: "hi from env" }, fs: { "/srv/app/.env": "N=2\nGREETING=hi from .env\n" } });
    const a = spec(s, "a");
    expect(a.TaskTemplate.ContainerSpec.Image).toBe("busybox:1.36");
    expect(a.Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(a.TaskTemplate.ContainerSpec.Env).toEqual(["GREETING=hi from env", "PRICE=$5"]);
  });

  test("an unset variable is a warning, as in Docker", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          environment: ["X=\${UNSET_VAR}"]
    `);
    expect(s.warnings).toEqual(['The "UNSET_VAR" variable is not set. Defaulting to a blank string.']);
    expect(spec(s, "a").TaskTemplate.ContainerSpec.Env).toEqual(["X="]);
  });

  test("anchors, aliases and << merge keys", () => {
    const s = load(yaml`
      x-common: &common
        image: busybox
        environment: {A: "1"}
      services:
        a:
          <<: *common
          command: [sleep, "1"]
        b:
          <<: *common
          image: busybox:1.36
    `);
    expect(spec(s, "a").TaskTemplate.ContainerSpec).toMatchObject({ Image: "busybox:latest", Env: ["A=1"] });
    expect(spec(s, "b").TaskTemplate.ContainerSpec.Image).toBe("busybox:1.36");
  });
});

describe("warnings: never a silent drop", () => {
  test("keys a swarm service cannot carry, named with their service, like Docker's CLI", () => {
    const s = load(yaml`
      version: "3.8"
      services:
        a:
          image: busybox
          build: .
          restart: always
          depends_on: [b]
          networks: [front]
          container_name: x
          network_mode: bridge
          deploy:
            endpoint_mode: dnsrr
            placement:
              preferences: [{spread: node.labels.zone}]
            resources:
              limits: {pids: 10}
        b:
          image: busybox
      networks:
        front:
    `);
    expect(s.warnings).toEqual([
      "Ignoring unsupported top-level networks (front): this cluster has no overlay networks; services reach each other through their published ports",
      'Ignoring unsupported options for service "a": build, container_name, depends_on, networks, restart, network_mode (bridge), deploy.endpoint_mode, deploy.placement.preferences, deploy.resources.limits.pids',
    ]);
  });

  test("health checks, update/rollback configs, secrets and configs: unsupported (yet)", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          healthcheck: {test: ["CMD", "true"]}
          secrets: [key]
          configs: [conf]
          deploy:
            update_config: {parallelism: 1}
            rollback_config: {parallelism: 1}
      secrets:
        key: {file: ./key}
      configs:
        conf: {file: ./conf}
    `);
    expect(s.warnings).toEqual([
      "top-level secrets: is unsupported (yet) and was ignored",
      "top-level configs: is unsupported (yet) and was ignored",
      'service "a": healthcheck is unsupported (yet) and was ignored',
      'service "a": secrets is unsupported (yet) and was ignored',
      'service "a": configs is unsupported (yet) and was ignored',
      'service "a": deploy.update_config is unsupported (yet) and was ignored',
      'service "a": deploy.rollback_config is unsupported (yet) and was ignored',
    ]);
  });

  test("top-level name: and include:, and long-form port options", () => {
    const s = load(yaml`
      name: myproject
      include: [other.yml]
      services:
        a:
          image: busybox
          deploy: {resources: {limits: {cpus: ".5"}}}
          ports:
            - {target: 80, published: 8080, host_ip: 127.0.0.1, app_protocol: http}
    `);
    expect(s.warnings).toEqual([
      'top-level name: is ignored: the stack\'s name is "app", given on the command line',
      "top-level include: is not supported: merge files with several -c flags instead",
      'service "a": ignoring unsupported option services.a.ports[0].host_ip',
      'service "a": ignoring unsupported option services.a.ports[0].app_protocol',
    ]);
    expect(spec(s, "a").TaskTemplate.Resources?.Limits?.NanoCPUs).toBe(5e8);
  });

  test("volume options and volume drivers", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          volumes: ["./d:/d:z", {type: volume, source: v, target: /v, volume: {nocopy: true}}]
          tmpfs: ["/run:size=64m"]
      volumes:
        v: {driver: nfs}
    `);
    expect(s.warnings).toEqual([
      'Ignoring unsupported options for volume "v": driver (volumes are the engine\'s local volumes)',
      'service "a": ignoring unsupported volume option "z" of services.a.volumes[0]',
      'service "a": ignoring unsupported option services.a.volumes[1].volume',
      'service "a": ignoring unsupported tmpfs options "size=64m" of services.a.tmpfs',
    ]);
  });
});

describe("a bad stack name", () => {
  test("is refused before the files are read", () => {
    expect(loadError("services: {a: {image: busybox}}", {}, "bad name")).toContain(`invalid stack name "bad name"`);
  });
});
