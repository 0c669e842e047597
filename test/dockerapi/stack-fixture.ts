/**
 * The compose file the Docker-CLI stack tests deploy: a web front, an API and a key-value store of
 * busybox stand-ins, with a healthcheck and update_config (translated by both deploys) and what
 * Docker's CLI turns into fields swarm drops for a stack (a named network, a labelled volume), and the
 * service bodies the CLIs send for it.
 */

/** `image`: the test image; `LOG_LEVEL` comes from the environment (a redeploy changes it). */
export const SHOP = (image: string) => `version: "3.8"
services:
  web:
    image: ${image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/tmp"]
    ports: ["8080"]
    environment:
      API_URL: http://shop_api:9000
    healthcheck: {test: ["CMD", "true"], interval: 5s}
    deploy:
      update_config: {parallelism: 2, delay: 10s}
  api:
    image: ${image}
    command: sh -c 'while true; do sleep 1; done'
    environment: [KV_ADDR=shop_kv:6379, "LOG_LEVEL=\${LOG_LEVEL:-info}"]
    stop_grace_period: 2s
    labels: [tier=backend]
    networks: [back, default]
    deploy: {replicas: 2, labels: [app=shop], resources: {limits: {cpus: "0.5", memory: 64M}}}
  kv:
    image: ${image}
    command: [sleep, "100000"]
    volumes: ["kvdata:/data", "./conf:/conf:ro"]
    networks: [back]
    deploy:
      restart_policy: {condition: on-failure, delay: 1s}
      placement: {constraints: [node.role == manager]}
networks:
  back:
volumes:
  kvdata:
`;

const PRIVILEGES_28 = { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false };

/**
 * `docker stack deploy -c compose.yml shop` of SHOP("swarm-busybox") from /srv/shop, as Docker 28.2.2
 * sends each service (captured; 20.10.24 sends the same without Privileges.NoNewPrivileges).
 */
export const SHOP_BODIES_28 = {
  web: {
    Name: "shop_web", Labels: { "com.docker.stack.image": "swarm-busybox", "com.docker.stack.namespace": "shop" },
    TaskTemplate: {
      ContainerSpec: {
        Image: "swarm-busybox:latest", Labels: { "com.docker.stack.namespace": "shop" }, Args: ["httpd", "-f", "-p", "8080", "-h", "/tmp"], Env: ["API_URL=http://shop_api:9000"],
        Privileges: PRIVILEGES_28, Healthcheck: { Test: ["CMD", "true"], Interval: 5000000000 },
      },
      Resources: {}, Placement: {}, Networks: [{ Target: "shop_default", Aliases: ["web"] }], ForceUpdate: 0,
    },
    Mode: { Replicated: {} },
    UpdateConfig: { Parallelism: 2, Delay: 10000000000, MaxFailureRatio: 0, Order: "" },
    EndpointSpec: { Ports: [{ Protocol: "tcp", TargetPort: 8080, PublishMode: "ingress" }] },
  },
  api: {
    Name: "shop_api", Labels: { app: "shop", "com.docker.stack.image": "swarm-busybox", "com.docker.stack.namespace": "shop" },
    TaskTemplate: {
      ContainerSpec: {
        Image: "swarm-busybox:latest", Labels: { "com.docker.stack.namespace": "shop", tier: "backend" }, Args: ["sh", "-c", "while true; do sleep 1; done"],
        Env: ["KV_ADDR=shop_kv:6379", "LOG_LEVEL=info"], Privileges: PRIVILEGES_28, StopGracePeriod: 2000000000,
      },
      Resources: { Limits: { NanoCPUs: 500000000, MemoryBytes: 67108864 } }, Placement: {},
      Networks: [{ Target: "shop_back", Aliases: ["api"] }, { Target: "shop_default", Aliases: ["api"] }], ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: {},
  },
  kv: {
    Name: "shop_kv", Labels: { "com.docker.stack.image": "swarm-busybox", "com.docker.stack.namespace": "shop" },
    TaskTemplate: {
      ContainerSpec: {
        Image: "swarm-busybox:latest", Labels: { "com.docker.stack.namespace": "shop" }, Args: ["sleep", "100000"], Privileges: PRIVILEGES_28,
        Mounts: [
          { Type: "volume", Source: "shop_kvdata", Target: "/data", VolumeOptions: { Labels: { "com.docker.stack.namespace": "shop" } } },
          { Type: "bind", Source: "/srv/shop/conf", Target: "/conf", ReadOnly: true },
        ],
      },
      Resources: {}, RestartPolicy: { Condition: "on-failure", Delay: 1000000000 }, Placement: { Constraints: ["node.role == manager"] },
      Networks: [{ Target: "shop_back", Aliases: ["kv"] }], ForceUpdate: 0,
    },
    Mode: { Replicated: {} },
    EndpointSpec: {},
  },
};
