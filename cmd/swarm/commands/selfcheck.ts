/** Hidden `swarm __selfcheck`: proves the binary's embedded native addons load (used by tests). */
import type { Command } from "../context.ts";

export const selfcheckCmd: Command = {
  name: "__selfcheck",
  summary: "check embedded native modules",
  hidden: true,
  async run(_argv, ctx) {
    const { default: sodium } = await import("sodium-native");
    const out = Buffer.alloc(32);
    sodium.crypto_generichash(out, Buffer.from("swarm"));
    ctx.out(`sodium ok ${out.toString("hex")}\n`);
    return 0;
  },
};
