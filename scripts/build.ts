#!/usr/bin/env bun
/**
 * Builds dist/swarm: one executable that runs alone (no node_modules next to it).
 *
 * `bun build --compile` embeds a native addon only when it is reached through a static
 * `require("./x.node")`; packages that find their addon at run time (require-addon, node-gyp-build)
 * would load it from the build machine's absolute path. The plugin below rewrites those loaders into
 * static requires of the target's prebuild (linux-x64 or linux-arm64), so Bun embeds the file. udx-native is never shipped: it
 * resolves to our TypeScript UDX (internal/udx), which runs on Bun's own UDP sockets.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BunPlugin } from "bun";

const root = resolve(import.meta.dir, "..");

/** Targets: the host's (dist/swarm) and linux-arm64 (Raspberry Pi, most edge boxes), from the same sources. */
const TARGETS = [
  { arch: process.arch === "arm64" ? "linux-arm64" : "linux-x64", bunTarget: undefined, outfile: "dist/swarm" },
  ...(process.arch === "arm64" ? [] : [{ arch: "linux-arm64", bunTarget: "bun-linux-arm64", outfile: "dist/swarm-linux-arm64" }]),
];
/** `--host-only`: only dist/swarm (a quicker build while developing). */
const hostOnly = process.argv.includes("--host-only");

const embedAddons = (arch: string): BunPlugin => ({
  name: "embed-native-addons",
  setup(build) {
    // sodium-native: `require.addon('.', __filename)` → static require of its prebuild.
    build.onLoad({ filter: /node_modules\/sodium-native\/binding\.js$/ }, () => ({
      contents: `module.exports = require("./prebuilds/${arch}/sodium-native.node");`,
      loader: "js",
    }));
    // udx-native → internal/udx (TypeScript, Bun UDP). Hyperswarm's stack takes it unchanged.
    // udx-native is CommonJS with the class as module.exports (dht-rpc calls its statics such as
    // UDX.isIPv4), so the replacement is a CommonJS shim around our class.
    const ourUdx = join(root, "internal/udx/index.ts");
    if (existsSync(ourUdx)) {
      build.onResolve({ filter: /^udx-native$/ }, () => ({ path: "udx-native", namespace: "udx-shim" }));
      build.onLoad({ filter: /.*/, namespace: "udx-shim" }, () => ({
        contents: `module.exports = require(${JSON.stringify(ourUdx)}).UDX;`,
        loader: "js",
      }));
    }
    // msgpackr's optional native extension: msgpackr works without it; never try to load it.
    build.onResolve({ filter: /^msgpackr-extract$/ }, () => ({ path: "msgpackr-extract", namespace: "empty" }));
    // ssh2 (docker-modem's optional SSH transport) probes optional addons; ship it without them.
    build.onResolve({ filter: /^cpu-features$/ }, () => ({ path: "cpu-features", namespace: "empty" }));
    // dockerode's BuildKit session (gRPC + protobuf, ~35 MB of heap at load) and docker-modem's SSH
    // transport (ssh2): swarm never builds images through BuildKit nor reaches Docker over SSH. Each is
    // replaced by a function that explains itself if it is ever called.
    build.onLoad({ filter: /node_modules\/dockerode\/lib\/session\.js$/ }, () => ({
      contents: `module.exports = function () { throw new Error("dockerode BuildKit sessions are not bundled in swarm"); };`,
      loader: "js",
    }));
    build.onLoad({ filter: /node_modules\/docker-modem\/lib\/ssh\.js$/ }, () => ({
      contents: `module.exports = function () { throw new Error("Docker over SSH is not bundled in swarm: use unix:// or tcp://"); };`,
      loader: "js",
    }));
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({
      contents: `throw new Error("optional native module not bundled")`,
      loader: "js",
    }));
  },
});

mkdirSync(join(root, "dist"), { recursive: true });
const version = (await Bun.file(join(root, "package.json")).json()).version as string;
for (const t of hostOnly ? TARGETS.slice(0, 1) : TARGETS) {
  const outfile = join(root, t.outfile);
  const result = await Bun.build({
    entrypoints: [join(root, "cmd/swarm/main.ts")],
    // Another target's Bun runtime comes from the npm registry (Bun fetches and caches it).
    compile: t.bunTarget ? { target: t.bunTarget as "bun-linux-arm64", outfile } : { outfile },
    target: "bun",
    minify: false,
    bytecode: true, // precompiled: every CLI call starts about twice as fast
    sourcemap: "none",
    define: { "process.env.SWARM_BUILD_VERSION": JSON.stringify(version) },
    plugins: [embedAddons(t.arch)],
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    process.exit(1);
  }
  console.log(`built ${outfile} (version ${version}, ${t.arch})`);
}
