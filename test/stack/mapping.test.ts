/** Every compose key swarm maps, and what the spec holds afterwards (the shared schema has run). */
import { describe, expect, test } from "bun:test";
import { planFiles, stackFiles, withFileIds } from "../../internal/stack/index.ts";
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

  test("health checks, update/rollback configs, secrets and configs are mapped, with no warning", () => {
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
    expect(s.warnings).toEqual([]);
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

describe("issue 14: health checks, update and rollback settings, secrets and configs, jobs", () => {
  test("healthcheck: test as a list (CMD, CMD-SHELL, NONE) or a string, durations, retries; disable", () => {
    const s = load(yaml`
      services:
        list:
          image: busybox
          healthcheck:
            test: ["CMD", "wget", "-q", "-O-", "http://localhost/"]
            interval: 10s
            timeout: 2s
            retries: 4
            start_period: 1m
        shell:
          image: busybox
          healthcheck: {test: ["CMD-SHELL", "test -f /tmp/ok"]}
        string:
          image: busybox
          healthcheck: {test: "curl -f http://localhost/ || exit 1", interval: 500ms}
        none:
          image: busybox
          healthcheck: {test: ["NONE"]}
        disabled:
          image: busybox
          healthcheck: {disable: true}
        timing_only:
          image: busybox
          healthcheck: {interval: 5s}
    `);
    expect(s.warnings).toEqual([]);
    const hc = (n: string) => spec(s, n).TaskTemplate.ContainerSpec.Healthcheck;
    expect(hc("list")).toEqual({ Test: ["CMD", "wget", "-q", "-O-", "http://localhost/"], Interval: 10e9, Timeout: 2e9, Retries: 4, StartPeriod: 60e9 });
    expect(hc("shell")).toEqual({ Test: ["CMD-SHELL", "test -f /tmp/ok"] });
    expect(hc("string")).toEqual({ Test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], Interval: 5e8 });
    expect(hc("none")).toEqual({ Test: ["NONE"] });
    expect(hc("disabled")).toEqual({ Test: ["NONE"] });
    expect(hc("timing_only")).toEqual({ Interval: 5e9 });
  });

  test("healthcheck mistakes are errors at their key; start_interval is warned about", () => {
    expect(loadError('services:\n  a:\n    image: busybox\n    healthcheck: {test: [curl, x], interval: soon}\n')).toContain("services.a.healthcheck.test: a list must start with CMD, CMD-SHELL or NONE");
    expect(loadError('services:\n  a:\n    image: busybox\n    healthcheck: {test: "true", disable: true}\n')).toContain("compose.yml:4:42: services.a.healthcheck.disable: test and disable can't be set at the same time");
    expect(loadError('services:\n  a:\n    image: busybox\n    healthcheck: {interval: soon}\n')).toContain('services.a.healthcheck.interval: invalid duration "soon"');
    expect(loadError('services:\n  a:\n    image: busybox\n    healthcheck: {intervall: 1s}\n')).toContain('unknown key "intervall" (did you mean "interval"?)');
    expect(load('services:\n  a:\n    image: busybox\n    healthcheck: {test: "true", start_interval: 1s}\n').warnings).toEqual([
      'service "a": ignoring unsupported option services.a.healthcheck.start_interval',
    ]);
  });

  test("update_config and rollback_config: every key, Docker's defaults for the rest", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          deploy:
            update_config:
              parallelism: 2
              delay: 10s
              failure_action: rollback
              monitor: 30s
              max_failure_ratio: 0.25
              order: start-first
            rollback_config:
              parallelism: 0
              order: stop-first
        b:
          image: busybox
          deploy:
            update_config: {}
    `);
    expect(spec(s, "a").UpdateConfig).toEqual({ Parallelism: 2, Delay: 10e9, FailureAction: "rollback", Monitor: 30e9, MaxFailureRatio: 0.25, Order: "start-first" });
    expect(spec(s, "a").RollbackConfig).toEqual({ Parallelism: 0, Delay: 0, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
    expect(spec(s, "b").UpdateConfig).toEqual({ Parallelism: 1, Delay: 0, FailureAction: "pause", Monitor: 5e9, MaxFailureRatio: 0, Order: "stop-first" });
    expect(spec(s, "b").RollbackConfig).toBeUndefined();
  });

  test("update_config mistakes name the key and the values allowed", () => {
    const err = loadError(yaml`
      services:
        a:
          image: busybox
          deploy:
            update_config: {order: random, failure_action: retry, max_failure_ratio: 2}
            rollback_config: {failure_action: rollback}
    `);
    expect(err).toContain('services.a.deploy.update_config.order: must be stop-first or start-first, not "random"');
    expect(err).toContain('services.a.deploy.update_config.failure_action: must be pause, continue or rollback, not "retry"');
    expect(err).toContain('services.a.deploy.update_config.max_failure_ratio: must be a number between 0 and 1, not "2"');
    expect(err).toContain('services.a.deploy.rollback_config.failure_action: must be pause or continue, not "rollback"');
  });

  test("secrets and configs: short and long syntax; file: ones named <stack>_<key> and labelled; external ones as they are", () => {
    const s = load(yaml`
      services:
        api:
          image: busybox
          secrets:
            - db_password
            - source: api_key
              target: keys/api
              uid: "1000"
              gid: "1000"
              mode: 0400
          configs:
            - nginx_conf
            - source: shared
              target: /etc/shared.conf
              mode: 288
      secrets:
        db_password:
          file: ./secrets/db.txt
          labels: {team: data}
        api_key:
          external: true
      configs:
        nginx_conf:
          file: /etc/app/nginx.conf
        shared:
          external: true
          name: shared-v2
    `, {}, "shop");
    expect(s.warnings).toEqual([]);
    const cs = spec(s, "api").TaskTemplate.ContainerSpec;
    expect(cs.Secrets).toEqual([
      { File: { Name: "db_password", UID: "0", GID: "0", Mode: 0o444 }, SecretID: "", SecretName: "shop_db_password" },
      { File: { Name: "keys/api", UID: "1000", GID: "1000", Mode: 0o400 }, SecretID: "", SecretName: "api_key" },
    ]);
    expect(cs.Configs).toEqual([
      { File: { Name: "/nginx_conf", UID: "0", GID: "0", Mode: 0o444 }, ConfigID: "", ConfigName: "shop_nginx_conf" },
      { File: { Name: "/etc/shared.conf", UID: "0", GID: "0", Mode: 0o440 }, ConfigID: "", ConfigName: "shared-v2" },
    ]);
    expect(s.files).toEqual([
      { kind: "config", key: "nginx_conf", name: "shop_nginx_conf", external: false, file: "/etc/app/nginx.conf", labels: { "com.docker.stack.namespace": "shop" } },
      { kind: "config", key: "shared", name: "shared-v2", external: true, labels: {} },
      { kind: "secret", key: "api_key", name: "api_key", external: true, labels: {} },
      { kind: "secret", key: "db_password", name: "shop_db_password", external: false, file: "/srv/app/secrets/db.txt", labels: { team: "data", "com.docker.stack.namespace": "shop" } },
    ]);
  });

  test("a secret from the environment, a config's inline content, an explicit name", () => {
    const s = load(yaml`
      services:
        a:
          image: busybox
          secrets: [token]
          configs: [motd]
      secrets:
        token: {environment: API_TOKEN, name: my-token}
      configs:
        motd: {content: "hello $$\{USER}"}
    `, { env: { API_TOKEN: "t0k3n", USER: "x" } });
    expect(s.files.map((f) => [f.name, f.data])).toEqual([["app_motd", "hello ${USER}"], ["my-token", "t0k3n"]]);
    expect(spec(s, "a").TaskTemplate.ContainerSpec.Secrets![0]!.SecretName).toBe("my-token");
  });

  test("secret and config mistakes: undefined references, no source, two sources, external with a file, bad modes", () => {
    const err = loadError(yaml`
      services:
        a:
          image: busybox
          secrets: [nope, {source: ok, mode: 0999}, {target: x}]
          configs: [{source: c, mode: "rw"}]
      secrets:
        ok: {file: ./ok}
        nosource: {labels: {a: b}}
        both: {file: ./x, environment: X}
        ext: {external: true, file: ./y}
        inline: {content: "s3cr3t"}
      configs:
        c: {file: ./c}
    `);
    expect(err).toContain("services.a.secrets[0]: refers to undefined secret nope: declare it under the top-level secrets: (file: or external: true)");
    expect(err).toContain("services.a.secrets[1].mode: must be a file mode between 0 and 0777, not 0999");
    expect(err).toContain("services.a.secrets[2]: needs source:");
    expect(err).toContain('services.a.configs[0].mode: must be a file mode such as 0440, not "rw"');
    expect(err).toContain("secrets.nosource: needs file: (a path to the secret's data) or external: true");
    expect(err).toContain("secrets.both: give one of file:, environment:, not file and environment");
    expect(err).toContain("secrets.ext: an external secret cannot have file");
    expect(err).toContain("secrets.inline.content: secrets take file: or environment:, not content:");
  });

  test("a bad target is reported at the service by the API's schema", () => {
    const err = loadError(yaml`
      services:
        a:
          image: busybox
          secrets: [{source: s, target: ../etc/passwd}]
      secrets:
        s: {file: ./s}
    `);
    expect(err).toContain("secrets");
    expect(err).toContain("/run/secrets");
  });

  test("deploy.mode replicated-job (replicas completions) and global-job", () => {
    const s = load(yaml`
      services:
        migrate:
          image: busybox
          command: ["true"]
          deploy: {mode: replicated-job, replicas: 3}
        once:
          image: busybox
          deploy: {mode: replicated-job}
        everywhere:
          image: busybox
          deploy: {mode: global-job}
    `);
    expect(spec(s, "migrate").Mode).toEqual({ ReplicatedJob: { TotalCompletions: 3, MaxConcurrent: 3 } });
    expect(spec(s, "once").Mode).toEqual({ ReplicatedJob: { TotalCompletions: 1, MaxConcurrent: 1 } });
    expect(spec(s, "everywhere").Mode).toEqual({ GlobalJob: {} });
    expect(loadError("services:\n  a:\n    image: busybox\n    deploy: {mode: global-job, replicas: 2}\n")).toContain("replicas can only be used with replicated or replicated-job mode");
    expect(loadError("services:\n  a:\n    image: busybox\n    deploy: {mode: replicated-job, update_config: {parallelism: 2}}\n")).toContain("jobs have no rolling updates");
  });
});

describe("issue 14: the deploy's plan for secrets and configs", () => {
  const f = (kind: "secret" | "config", key: string, external = false) => ({ kind, key, name: external ? key : `app_${key}`, external, file: external ? undefined : `/srv/${key}`, labels: {} });
  test("creates what is missing, keeps what exists, refuses a missing external one before anything changes", () => {
    const files = [f("secret", "a"), f("secret", "b"), f("config", "c"), f("secret", "ext", true)];
    const plan = planFiles(files, { secrets: [{ Spec: { Name: "app_b" } }, { Spec: { Name: "ext" } }], configs: [] });
    expect(plan.create.map((x) => x.name)).toEqual(["app_a", "app_c"]);
    expect(plan.kept.map((x) => x.name)).toEqual(["app_b", "ext"]);
    expect(() => planFiles([f("config", "gone", true)], { secrets: [], configs: [] })).toThrow("external config gone (configs.gone) not found");
  });

  test("references to existing objects get their IDs (a redeploy that changes nothing is no change); stack rm finds the stack's own", () => {
    const s = load("services:\n  a:\n    image: busybox\n    secrets: [a]\n    configs: [c]\nsecrets:\n  a: {file: ./a}\nconfigs:\n  c: {file: ./c}\n");
    const withIds = withFileIds(spec(s, "a"), { secrets: [{ ID: "sid", Spec: { Name: "app_a" } }], configs: [] });
    expect(withIds.TaskTemplate.ContainerSpec.Secrets![0]!.SecretID).toBe("sid");
    expect(withIds.TaskTemplate.ContainerSpec.Configs![0]!.ConfigID).toBe("");
    const objs: { ID: string; Spec: { Name: string; Labels: Record<string, string> } }[] = [{ ID: "1", Spec: { Name: "app_a", Labels: { "com.docker.stack.namespace": "app" } } }, { ID: "2", Spec: { Name: "other", Labels: {} } }];
    expect(stackFiles("app", objs).map((x) => x.ID)).toEqual(["1"]);
  });
});
