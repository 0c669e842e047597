/**
 * The swarm part of the Docker Engine API, so the stock `docker` CLI and tools built on the API (the
 * Swarm visualizer, Portainer's swarm views) work against a swarm cluster: pure translations between
 * our objects and Docker's JSON (to-docker.ts, from-docker.ts, system.ts), API version negotiation, and
 * a request handler over a `DockerBackend` that internal/daemon serves on `--docker-api`. The stock
 * CLI's `docker stack deploy/ls/services/ps/rm` work too: a stack's networks are kept as names with no
 * effect (networks.ts), secrets and configs are listed as none and refused on create
 * (stack-routes.ts), and a stack's service becomes what `swarm stack deploy` makes (from-docker.ts).
 */
export { createDockerApiHandler, type DockerApiOptions } from "./handler.ts";
export { STACK_NAMESPACE_LABEL } from "./stack-label.ts";
export { StackNetworks, dockerNetwork, networkNote, NETWORK_FILTERS, type StackNetwork, type StackNetworksOptions } from "./networks.ts";
export { dockerError } from "./http.ts";
export type { DockerBackend, LogStreamOptions, NodeChanges } from "./backend.ts";
export type { LocalFacts } from "./system.ts";
export { dockerInfo, dockerSwarm, dockerVersion, goArch } from "./system.ts";
export { dockerNode, dockerNodeId, dockerService, dockerServiceSpec, dockerTask, serviceStatus, NODE_ID_LENGTH, dockerUpdateConfig, dockerUpdateStatus } from "./to-docker.ts";
export { dockerConfig, dockerSecret, fileCreateFrom, fileMatches, FILE_FILTERS } from "./files.ts";
export { fromDockerServiceSpec, nodeChangesFrom, isEmpty } from "./from-docker.ts";
export { API_VERSION, MIN_API_VERSION, splitVersion } from "./version.ts";
export { detailsText, frame, linePayload } from "./log-frames.ts";
