/**
 * internal/transport — the cluster transport: admitted, encrypted peer connections carrying
 * one-way messages, request/response and streams. `createHyperswarmTransport` is the real one;
 * `MemoryNetwork#createTransport` its in-memory twin (same interface, same test suite).
 */
export type {
  AdmissionPatch, ChannelOptions, ClusterTransport, Handler, Link, Logger, MessageStream, NodeId, PeerClass, PeerInfo, RequestOptions,
  StreamHandler, StreamOptions, StreamSink,
} from "./types.ts";
export { TransportError, isTransportError, type TransportErrorCode } from "./errors.ts";
export { stderrLogger, type TransportOptions } from "./config.ts";
export {
  CLOCK_SKEW_MS, clusterFingerprint, clusterKeyFromSeed, generateClusterKey, issueCertificate, keyPairFromSeed, nodeIdOf,
  verifyCertificate, type ClusterKey, type JoinSecret, type NodeCertificate, type Role, type SignedCertificate,
} from "./admission.ts";
export { MemoryNetwork, type MemoryNetworkOptions, type RawPeer } from "./memory.ts";
export {
  createHyperswarmTransport, startBootstrapNode,
  type BootstrapNode, type HyperswarmTransport, type HyperswarmTransportOptions,
} from "./hyperswarm.ts";
export { clusterTopic, discoveryTopic, loadOrCreateKeyPair, loadOrCreateKeySeed, topicOf, KEY_FILE } from "./keys.ts";
export { runTransportSelftest } from "./selftest.ts";
