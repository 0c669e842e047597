#!/usr/bin/env bun
/**
 * Makes sure the Docker engine at argv[2] has an image for the demo and prints its reference.
 * Builds `swarm-busybox:latest` from Debian's busybox-static (no registry involved) and loads it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusyboxImageTar, loadImageTar, BUSYBOX_IMAGE_REF } from "../test/fixtures/busybox-image/index.ts";

const host = process.argv[2] ?? "unix:///var/run/docker.sock";
const dir = mkdtempSync(join(tmpdir(), "swarm-demo-image-"));
try {
  const { tarPath } = await buildBusyboxImageTar(join(dir, "busybox.tar"));
  await loadImageTar(host.replace(/^unix:\/\//, ""), tarPath);
  console.log(BUSYBOX_IMAGE_REF);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
