// Typed errors of the test bed. Callers branch on `code`; messages say what to do next.

export type TestbedErrorCode =
  | "CONFIG_INVALID" // bad name, host count or subnet
  | "NOT_ROOT" // namespaces, cgroups and dockerd need root
  | "MISSING_TOOL" // dockerd, nsenter, ip or nft is not installed
  | "NOT_UP" // no bed with that name (run `up` first)
  | "NO_SUCH_HOST" // host index out of range
  | "COMMAND_FAILED" // a setup command (ip, nft, ...) exited non-zero
  | "ENGINE_TIMEOUT" // a dockerd did not answer /_ping in time (see its log)
  | "HOST_DOWN"; // the host is powered off or its engine is killed

export class TestbedError extends Error {
  constructor(
    readonly code: TestbedErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "TestbedError";
  }
}
