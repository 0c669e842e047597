/**
 * The networks of stacks, as the Docker CLI's `docker stack deploy` asks for them: names with no
 * effect. swarm has no overlay networks (services reach each other through their published ports,
 * docs/stacks.md), but Docker's CLI builds a stack client-side: it lists the stack's networks by the
 * label `com.docker.stack.namespace=NAME`, creates the missing ones (`NAME_default`, and one per
 * top-level `networks:` key), attaches every service to them, and `docker stack rm` removes them.
 *
 * So a network created with the stack label is kept here, in the memory of the agent that answered,
 * as a name: listed, inspected and removed as Docker would, attached to nothing (from-docker.ts drops
 * a stack service's attachments). It is not replicated and is forgotten when the agent restarts;
 * neither changes what runs — at worst the CLI prints "Creating network NAME_default" again. A
 * network without the stack label (`docker network create`) is refused: it would promise
 * connectivity swarm does not give.
 *
 * Contract: every method is synchronous and deterministic given `newId` and `now`.
 */
import { SwarmError } from "../api/index.ts";
import { checkFilterKeys, type Filters } from "../lookup/index.ts";
import { STACK_NAMESPACE_LABEL } from "./stack-label.ts";
import { labelsMatch } from "./values.ts";

export const NETWORK_FILTERS = ["driver", "id", "label", "name", "scope", "type", "dangling"] as const;

/** Docker's rule for network names. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface StackNetwork {
  Name: string;
  Id: string;
  Created: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  EnableIPv6: boolean;
  Internal: boolean;
  Attachable: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: unknown[] };
}

export interface StackNetworksOptions {
  /** A new 64-hex network ID (default: random). */
  newId?: () => string;
  /** The creation time, RFC 3339 (default: the clock). */
  now?: () => string;
  /** How many networks are kept at most (default 1000): more is refused, not forgotten. */
  max?: number;
}

/** Why a created network does nothing: the create answer's `Warning` and the agent's note. */
export function networkNote(name: string): string {
  return `network ${name} is a name only: swarm has no overlay networks, services reach each other through their published ports`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v) || !Object.values(v).every((x) => typeof x === "string")) throw SwarmError.invalid(`${what} must be an object of strings`);
  return { ...(v as Record<string, string>) };
}

function randomId(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString("hex");
}

const anyOf = (f: Filters, key: string, test: (v: string) => boolean) => {
  const vs = f.get(key);
  return vs === undefined || vs.length === 0 || vs.some(test);
};

export class StackNetworks {
  private readonly byId = new Map<string, StackNetwork>();
  private readonly newId: () => string;
  private readonly now: () => string;
  private readonly max: number;

  constructor(o: StackNetworksOptions = {}) {
    this.newId = o.newId ?? randomId;
    this.now = o.now ?? (() => new Date().toISOString());
    this.max = o.max ?? 1000;
  }

  /**
   * `POST /networks/create`: a network of a stack (labelled with its namespace, overlay driver) is
   * kept; anything else is refused with INVALID_ARGUMENT saying why. A taken name is a CONFLICT, as
   * in Docker.
   */
  create(body: unknown): StackNetwork {
    if (!isObj(body)) throw SwarmError.invalid(`the network spec must be a JSON object such as {"Name":"app_default","Driver":"overlay"}`);
    const name = body.Name;
    if (typeof name !== "string" || name === "") throw SwarmError.invalid("a network needs a Name");
    if (!NAME_RE.test(name)) throw SwarmError.invalid(`invalid network name "${name.slice(0, 80)}": use letters, digits, "_", "." and "-", starting with a letter or digit`);
    const labels = strings(body.Labels, "the network's Labels");
    if (!(STACK_NAMESPACE_LABEL in labels)) {
      throw SwarmError.invalid(
        `swarm has no networks: services reach each other through their published ports, so \`docker network create ${name}\` is not served. ` +
          `(A stack's networks, which \`docker stack deploy\` creates, are accepted as names with no effect.) For a network on one host, point the client at that node's Docker engine`,
      );
    }
    const driver = body.Driver ?? "";
    if (driver !== "" && driver !== "overlay") throw SwarmError.invalid(`network ${name}: driver "${String(driver)}" is not supported: a stack's networks are overlay networks (which swarm accepts as names only); leave driver: out`);
    if (body.Ingress === true) throw SwarmError.invalid(`network ${name}: swarm has no ingress network (its routing mesh publishes ports on every node without one)`);
    if (body.ConfigOnly === true || (isObj(body.ConfigFrom) && body.ConfigFrom.Network)) throw SwarmError.invalid(`network ${name}: config-only networks are not supported`);
    if ([...this.byId.values()].some((n) => n.Name === name)) throw SwarmError.conflict(`network with name ${name} already exists`);
    if (this.byId.size >= this.max) throw SwarmError.invalid(`too many networks (${this.max}): remove stacks that are no longer used (docker stack rm)`);
    const ipam = isObj(body.IPAM) ? body.IPAM : {};
    const n: StackNetwork = {
      Name: name,
      Id: this.newId(),
      Created: this.now(),
      Labels: labels,
      Options: strings(body.Options, "the network's Options"),
      EnableIPv6: body.EnableIPv6 === true,
      Internal: body.Internal === true,
      Attachable: body.Attachable === true,
      IPAM: {
        Driver: typeof ipam.Driver === "string" && ipam.Driver !== "" ? ipam.Driver : "default",
        Options: isObj(ipam.Options) ? strings(ipam.Options, "the network's IPAM.Options") : null,
        Config: Array.isArray(ipam.Config) ? ipam.Config : [],
      },
    };
    this.byId.set(n.Id, n);
    return n;
  }

  /** `GET /networks` with Docker's filters (name and id match a part, as Docker's do). */
  list(f: Filters): StackNetwork[] {
    checkFilterKeys(f, NETWORK_FILTERS);
    return [...this.byId.values()]
      .filter((n) =>
        anyOf(f, "name", (v) => n.Name.includes(v)) &&
        anyOf(f, "id", (v) => n.Id.includes(v)) &&
        anyOf(f, "driver", (v) => v === "overlay") &&
        anyOf(f, "scope", (v) => v === "swarm") &&
        anyOf(f, "type", (v) => v === "custom") &&
        anyOf(f, "dangling", (v) => v === "true" || v === "1") &&
        labelsMatch(n.Labels, f.get("label")))
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  /** By full ID, then full name, then a unique ID prefix (Docker's order). */
  find(ref: string): StackNetwork {
    const all = [...this.byId.values()];
    const exact = this.byId.get(ref) ?? all.find((n) => n.Name === ref);
    if (exact) return exact;
    const prefixed = ref === "" ? [] : all.filter((n) => n.Id.startsWith(ref));
    if (prefixed.length > 1) throw SwarmError.ambiguous("network", ref);
    if (prefixed.length === 0) throw SwarmError.notFound("network", ref);
    return prefixed[0]!;
  }

  remove(ref: string): StackNetwork {
    const n = this.find(ref);
    this.byId.delete(n.Id);
    return n;
  }
}

/** A network as Docker's API shows it (NetworkResource, API 1.41). */
export function dockerNetwork(n: StackNetwork) {
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: "swarm",
    Driver: "overlay",
    EnableIPv6: n.EnableIPv6,
    IPAM: n.IPAM,
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: {},
    Options: n.Options,
    Labels: n.Labels,
  };
}
