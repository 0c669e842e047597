// Typed errors. Codes mirror what udx-native/libuv report so consumers that branch on `code` work.

export class UDXError extends Error {
  constructor(
    message: string,
    readonly code: string
  ) {
    super(message)
    this.name = 'UDXError'
  }
}

export const errors = {
  alreadyBound: () => new UDXError('Already bound: create a new socket to bind again', 'ERR_ALREADY_BOUND'),
  socketClosed: () => new UDXError('Socket is closed: create a new socket', 'ERR_SOCKET_CLOSED'),
  socketInactive: () => new UDXError('Socket not active: bind it (or send/connect) first', 'ERR_SOCKET_INACTIVE'),
  badHost: (host: string) => new UDXError(`${host} is not a valid IP address: resolve it with udx.lookup() first`, 'ERR_INVALID_ADDRESS'),
  badPort: (port: number) => new UDXError(`${port} is not a valid port: use 1-65535`, 'ERR_INVALID_PORT'),
  alreadyConnected: () => new UDXError('Already connected: a stream connects once; use changeRemote()', 'ERR_ALREADY_CONNECTED'),
  notConnected: () => new UDXError('Not yet connected: call connect() first', 'ERR_NOT_CONNECTED'),
  remoteChanging: () => new UDXError('Remote already changing: await the previous changeRemote()', 'ERR_REMOTE_CHANGING'),
  otherInstance: () => new UDXError('Cannot change to a socket on another UDX instance', 'ERR_OTHER_INSTANCE'),
  writeBeforeConnect: () => new UDXError('Writing while not connected not currently supported: connect() first', 'ERR_ASSERTION'),
  streamClosed: () => new UDXError('Stream is closed', 'ERR_STREAM_CLOSED'),
  reset: () => new UDXError('connection reset by peer', 'ECONNRESET'),
  timedOut: () => new UDXError('connection timed out: the peer stopped acknowledging data', 'ETIMEDOUT'),
  notSupported: (what: string) => new UDXError(`${what} is not supported by this UDX port`, 'ERR_NOT_SUPPORTED')
}
