// The multi-host test bed: N simulated hosts on one Linux machine, each with its own network
// namespace and address on a shared bridge, its own hostname and its own Docker engine; faults
// (partition, engine crash, power-off) and a leak-free teardown.
//
//   await using bed = await Testbed.up({ name: "mytest", hosts: 3 });
//   const [h1, h2] = bed.hosts;                      // 0-based array; names "h1", "h2", ...
//   await h1.dockerOk(["run", "-d", "-p", "8080:80", BUSYBOX_IMAGE_REF, "httpd", "-f", "-p", "80", "-h", "/www"]);
//   await h2.exec(["curl", "-s", `http://${h1.ip}:8080/`]);
//   await bed.partition(0); await bed.heal(0); await bed.poweroff(1); await bed.start(1);
//
// Needs root; tests should `test.skipIf(unsupportedReason() !== null)` and console.warn the reason.

export { Testbed, unsupportedReason, type HostRef, type HostStatus, type TestbedOptions } from "./testbed.ts";
export { Place, TestbedHost, type ExecResult, type SpawnOptions } from "./host.ts";
export { defaultConfig, validateConfig, plan, MAX_HOSTS, type TestbedConfig, type BedPlan, type HostPlan } from "./config.ts";
export { TestbedError, type TestbedErrorCode } from "./errors.ts";
export type { Leftovers } from "./teardown.ts";
export type { RunOptions } from "./run.ts";
export { BUSYBOX_IMAGE_REF, buildBusyboxImageTar, loadImageTar, type BusyboxImage } from "../fixtures/busybox-image/index.ts";
