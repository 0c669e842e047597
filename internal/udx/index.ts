// internal/udx: UDX (reliable, congestion-controlled streams and datagrams over UDP) in TypeScript,
// wire-compatible with udx-native/libudx and API-compatible with the subset of udx-native that
// dht-rpc, hyperdht and @hyperswarm/secret-stream use. Inject it: `new DHT({ udx: new UDX(), ... })`.

export { UDX } from './udx.ts'
export { UDXSocket, type SocketOptions, type SocketAddress } from './socket.ts'
export { UDXStream, type StreamOptions, type Firewall } from './stream.ts'
export { NetworkInterfaces, type NetworkInterface } from './interfaces.ts'
export { UDXError } from './errors.ts'
export { DEFAULT_SENDER_CONFIG, type SenderConfig } from './sender.ts'
export * as packet from './packet.ts'
