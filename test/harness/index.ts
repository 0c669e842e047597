export { startDockerd, skipUnlessDocker, dockerUnavailableReason, DOCKERD_BIN, type PrivateDockerd, type StartDockerdOptions } from "./dockerd.ts";
export { loadTestImage, TEST_IMAGE } from "./image.ts";
export { reached, waitUntil } from "./wait.ts";
