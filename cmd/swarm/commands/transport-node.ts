/**
 * Hidden `swarm __transport-node …`: one cluster-transport peer (Hyperswarm over our TypeScript UDX),
 * for the transport tests and benchmark to run the compiled binary. See internal/transport/selftest.ts.
 */
import type { Command } from "../context.ts";

export const transportNodeCmd: Command = {
  name: "__transport-node",
  summary: "run one transport test peer",
  hidden: true,
  async run(argv) {
    const { runTransportSelftest } = await import("../../../internal/transport/selftest.ts");
    return runTransportSelftest(argv);
  },
};
