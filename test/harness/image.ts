// The test image (busybox-static, built by test/fixtures/busybox-image) loaded into an engine.
// Contract: `loadTestImage(docker)` is idempotent and returns the image's reference; the tar is built
// once per process into one shared cache file (deterministic bytes, written atomically, so
// concurrent builders in other processes agree and nothing accumulates).
import type Dockerode from "dockerode";
import { BUSYBOX_IMAGE_REF, buildBusyboxImageTar } from "../fixtures/busybox-image/index.ts";

export const TEST_IMAGE = BUSYBOX_IMAGE_REF;

let tarPath: Promise<string> | undefined;

function imageTar(): Promise<string> {
  tarPath ??= buildBusyboxImageTar("/tmp/swarm-test-cache/swarm-busybox.tar").then((img) => img.tarPath);
  return tarPath;
}

export async function loadTestImage(docker: Dockerode): Promise<string> {
  try {
    await docker.getImage(TEST_IMAGE).inspect();
    return TEST_IMAGE;
  } catch {
    // not loaded yet
  }
  const stream = await docker.loadImage(await imageTar(), { quiet: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = err ?? out.find((o) => o.error !== undefined)?.error;
      if (failed) reject(new Error(`loading the test image failed: ${String(failed)}`));
      else resolve();
    });
  });
  return TEST_IMAGE;
}
