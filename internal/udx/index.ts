// internal/udx: UDX (reliable, congestion-controlled streams and datagrams over UDP) in TypeScript
// on Bun's UDP sockets, wire-compatible with udx-native/libudx and API-compatible with the subset of
// udx-native 1.21.3 that dht-rpc, hyperdht and @hyperswarm/secret-stream use.
// Use: `new DHT({ bootstrap, udx: new UDX(), host, firewalled: false })`, then `new Hyperswarm({ dht })`.
//
// Congestion control is BBR with pacing and path MTU probing as libudx (bbr.ts, mtu.ts, sender.ts).
// Not implemented from udx-native, and why nothing in the cluster needs it:
//   - packetsDroppedByKernel (UDX and socket) is always 0: Bun does not report it; no consumer
//     reads it.
//   - createSocket({ ipv6Only, reuseAddress }): accepted, ignored (Bun cannot set them before bind);
//     dht-rpc and hyperdht call createSocket() without options.
//   - the largest probed MTU is 1500 (libudx also asks the OS for the route's MTU first); a probe
//     the local interface refuses counts as a lost probe. Loopback starts at 1500.
//   - framed: accepted; read-side frame batching is skipped (delivered bytes are identical).
//   - setInteractive: no-op (udx-native's guard makes it a no-op on open streams too).
//   - after changeRemote, retransmissions of earlier packets use the new address and id (libudx
//     keeps the old ones); hyperdht only changes remote to reach the same peer stream.
// Deliberate difference: for 3 s after a graceful close a stream re-acks the peer's retransmitted
// DATA/END (TCP TIME_WAIT-like) instead of emitting them as socket 'message's (which dht-rpc
// ignores), so a lost final ACK no longer makes the peer fail with ETIMEDOUT ~13 s later.

export { UDX } from './udx.ts'
export { UDXSocket, type SocketOptions, type SocketAddress } from './socket.ts'
export { UDXStream, type StreamOptions, type Firewall } from './stream.ts'
export { NetworkInterfaces, type NetworkInterface } from './interfaces.ts'
export { UDXError } from './errors.ts'
export { Sender, DEFAULT_SENDER_CONFIG, type SenderConfig, type TimerResult } from './sender.ts'
export { Engine, type EngineOwner } from './engine.ts'
export { realClock, type Clock } from './clock.ts'
export { Bbr, BbrState, CaState } from './bbr.ts'
export { MtuProbe, MtuState, MTU_STEP } from './mtu.ts'
export { Receiver, MAX_AHEAD } from './receiver.ts'
export * as packet from './packet.ts'
