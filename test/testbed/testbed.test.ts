// The real test bed: 3 hosts with real dockerds. Needs root; skips loudly otherwise. Budget ~60 s.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { BUSYBOX_IMAGE_REF, Testbed, TestbedError, unsupportedReason } from "./index.ts";

const why = unsupportedReason();
if (why) console.warn(`SKIPPING test/testbed/testbed.test.ts: ${why}`);

const NAME = "tb-selftest";
const STATE_ROOT = "/run/swarm-testbed";

const rootLinks = async (): Promise<string[]> => {
  const out = await new Response(Bun.spawn(["ip", "-o", "link", "show"]).stdout).text();
  return out.split("\n").filter((l) => l.trim() !== "").map((l) => l.split(": ")[1]!.split("@")[0]!).sort();
};

/** Pids whose command line mentions the bed's state dir (dockerd, containerd, shims). */
const processesMentioning = (needle: string): number[] =>
  readdirSync("/proc").filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid).filter((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle);
    } catch {
      return false;
    }
  }).map(Number);

/** The sockets that the shims of the host's containers listen on (left behind if not cleaned). */
const shimSockets = async (bed: Testbed, i: number): Promise<string[]> => {
  const h = bed.hosts[i]!;
  const ids = (await h.dockerOk(["ps", "-aq", "--no-trunc"])).split("\n").filter((x) => x !== "");
  return ids.map((id) => `/run/containerd/s/${createHash("sha256").update(`${h.dir}/exec/containerd/containerd.sock/moby/${id}`).digest("hex")}`);
};

/** The environment of host i's dockerd (from its pid file). */
const dockerdEnviron = (bed: Testbed, i: number): string[] =>
  readFileSync(`/proc/${readFileSync(bed.hosts[i]!.plan.pidFile, "utf8").trim()}/environ`, "utf8").split("\0");

/**
 * curl from a host to url: 0 = answered, 28 = timed out (silence), 7 = refused/unreachable.
 * Expecting silence, 1 s is enough; expecting an answer, allow for a loaded machine.
 */
const curl = async (bed: Testbed, from: number, url: string, expectSilence = false): Promise<{ code: number; body: string }> => {
  const r = await bed.hosts[from]!.exec(["curl", "-s", "-m", expectSilence ? "1" : "10", url]);
  return { code: r.code, body: r.stdout };
};

describe.skipIf(why !== null)("test bed (3 hosts, real dockerd)", () => {
  let bed: Testbed;
  let linksBefore: string[];

  beforeAll(async () => {
    linksBefore = await rootLinks();
    bed = await Testbed.up({ name: NAME, hosts: 3, stateRoot: STATE_ROOT, dockerdEnv: { SWARM_TESTBED_SELFTEST: "yes" } });
  }, 120_000);

  afterAll(async () => {
    await bed?.down();
  }, 30_000);

  test("each host has its own hostname, address, engine ID and the same busybox image", async () => {
    const ids = new Set<string>();
    for (const h of bed.hosts) {
      expect((await h.execOk(["hostname"])).trim()).toBe(h.name);
      expect(await h.execOk(["ip", "-4", "-o", "addr", "show", "eth0"])).toContain(`${h.ip}/24`);
      const [id, name] = (await h.dockerOk(["info", "--format", "{{.ID}} {{.Name}}"])).split(" ");
      expect(name).toBe(h.name);
      ids.add(id!);
      expect(await h.dockerOk(["image", "inspect", "--format", "{{.Id}}", BUSYBOX_IMAGE_REF])).toBe(bed.image!.imageId);
    }
    expect(ids.size).toBe(3);
  }, 60_000);

  test("a container on each host; every host and container reaches every other host's published port", async () => {
    for (const h of bed.hosts) {
      // --init: tini forwards SIGTERM, so stops and engine restarts do not wait the 10 s stop timeout
      await h.dockerOk(["run", "-d", "--init", "--name", "web", "-p", "8080:80", BUSYBOX_IMAGE_REF,
        "sh", "-c", `echo ${h.name} > /tmp/index.html && exec httpd -f -p 80 -h /tmp`]);
    }
    for (const from of [0, 1, 2]) {
      for (const to of [0, 1, 2]) {
        if (from === to) continue;
        expect(await curl(bed, from, `http://${bed.hosts[to]!.ip}:8080/`)).toEqual({ code: 0, body: `h${to + 1}\n` });
      }
    }
    // from inside a container on h1 (docker0 -> NAT -> eth0 -> switch) to h2
    const out = await bed.hosts[0]!.dockerOk(["run", "--rm", BUSYBOX_IMAGE_REF, "timeout", "5", "wget", "-qO-", `http://${bed.hosts[1]!.ip}:8080/`]);
    expect(out).toBe("h2");
    expect((await bed.client.execOk(["curl", "-s", "-m", "10", `http://${bed.hosts[2]!.ip}:8080/`])).trim()).toBe("h3");
  }, 60_000);

  test("partition drops silently (timeouts, not refusals) both ways; heal restores", async () => {
    await bed.partition(0);
    expect((await curl(bed, 1, `http://${bed.hosts[0]!.ip}:8080/`, true)).code).toBe(28);
    expect((await curl(bed, 0, `http://${bed.hosts[1]!.ip}:8080/`, true)).code).toBe(28);
    expect((await curl(bed, 1, `http://${bed.hosts[2]!.ip}:8080/`)).code).toBe(0); // others unaffected
    expect((await bed.status())[0]!.partitioned).toBe(true);
    await bed.partition(0); // idempotent
    await bed.heal(0);
    expect(await curl(bed, 1, `http://${bed.hosts[0]!.ip}:8080/`)).toEqual({ code: 0, body: "h1\n" });
    expect((await curl(bed, 0, `http://${bed.hosts[1]!.ip}:8080/`)).code).toBe(0);
    expect((await bed.status())[0]!.partitioned).toBe(false);
  }, 60_000);

  test("cut splits groups: {h1} | {h2,h3} while h2 <-> h3 still talk", async () => {
    await bed.cut([0], [1, 2]);
    expect((await curl(bed, 1, `http://${bed.hosts[0]!.ip}:8080/`, true)).code).toBe(28);
    expect((await curl(bed, 2, `http://${bed.hosts[0]!.ip}:8080/`, true)).code).toBe(28);
    expect((await curl(bed, 1, `http://${bed.hosts[2]!.ip}:8080/`)).code).toBe(0);
    await bed.heal(0);
    expect((await curl(bed, 2, `http://${bed.hosts[0]!.ip}:8080/`)).code).toBe(0);
  }, 60_000);

  test("kill crashes the engine but not its containers; start brings the engine back (with dockerdEnv)", async () => {
    await bed.kill(1);
    expect((await bed.hosts[1]!.docker(["ps"])).code).not.toBe(0);
    expect((await bed.status())[1]!.engine).toBe(false);
    // the shim and httpd survive an engine crash
    expect((await curl(bed, 0, `http://${bed.hosts[1]!.ip}:8080/`)).code).toBe(0);
    await bed.start(1);
    expect((await bed.status())[1]!.engine).toBe(true);
    // dockerdEnv reaches the engine at up (h1) and at every start (h2)
    expect(dockerdEnviron(bed, 0)).toContain("SWARM_TESTBED_SELFTEST=yes");
    expect(dockerdEnviron(bed, 1)).toContain("SWARM_TESTBED_SELFTEST=yes");
    expect(await bed.hosts[1]!.dockerOk(["ps", "-a", "--format", "{{.Names}}"])).toBe("web");
  }, 60_000);

  test("poweroff kills every process of the host at once and silences it; start boots it", async () => {
    const sockets = await shimSockets(bed, 2);
    expect(sockets.length).toBe(1);
    expect(sockets.filter(existsSync)).toEqual(sockets);
    const agent = bed.hosts[2]!.spawn(["sleep", "1000"]); // e.g. a swarm agent on the host
    const stray = Bun.spawn(["ip", "netns", "exec", bed.hosts[2]!.netns, "sleep", "1000"]); // entered behind our back
    expect(await bed.hosts[2]!.execOk(["true"])).toBe(""); // the host's cgroup is live and usable
    await bed.poweroff(2);
    expect(await agent.exited).not.toBe(0);
    expect(agent.signalCode).toBe("SIGKILL");
    expect(await stray.exited).not.toBe(0);
    expect(sockets.filter(existsSync)).toEqual([]);
    const s = (await bed.status())[2]!;
    expect(s).toMatchObject({ powered: false, engine: false, processes: 0 });
    expect(processesMentioning(`${STATE_ROOT}/${NAME}/h3/`)).toEqual([]);
    expect((await curl(bed, 0, `http://${bed.hosts[2]!.ip}:8080/`, true)).code).not.toBe(0);
    await bed.start(2);
    expect((await bed.status())[2]).toMatchObject({ powered: true, engine: true });
    expect((await bed.hosts[2]!.execOk(["hostname"])).trim()).toBe("h3");
    // the data root survived like a disk: the container and the image are still known
    expect(await bed.hosts[2]!.dockerOk(["ps", "-a", "--format", "{{.Names}}"])).toBe("web");
    await bed.hosts[2]!.dockerOk(["start", "web"]);
    expect(await curl(bed, 0, `http://${bed.hosts[2]!.ip}:8080/`)).toEqual({ code: 0, body: "h3\n" });
  }, 60_000);

  test("down leaves no namespace, interface, mount, process or cgroup; up twice in a row works", async () => {
    // up over a live bed of the same name tears the stale one down first
    bed = await Testbed.up({ name: NAME, hosts: 2, stateRoot: STATE_ROOT });
    expect((await bed.status()).map((s) => s.engine)).toEqual([true, true]);
    expect(await bed.hosts[0]!.dockerOk(["ps", "-aq"])).toBe(""); // a fresh bed, not the old one
    await bed.hosts[0]!.dockerOk(["run", "-d", "-p", "8080:80", BUSYBOX_IMAGE_REF, "sleep", "1000"]);
    const sockets = (await Promise.all([0, 1].map((i) => shimSockets(bed, i)))).flat();
    expect(sockets.filter(existsSync).length).toBe(1);
    await bed.down();
    expect(sockets.filter(existsSync)).toEqual([]);
    expect(await bed.leftovers()).toEqual({ netns: [], mounts: [], processes: [], cgroups: [], stateDir: false });
    expect(processesMentioning(`${STATE_ROOT}/${NAME}/`)).toEqual([]);
    // The bed creates no interface in the root namespace; compare by name patterns it could leak, so
    // that other programs adding interfaces meanwhile do not make this fail.
    const added = (await rootLinks()).filter((l) => !linksBefore.includes(l));
    expect(added.filter((l) => /^(h\d+|c|br0|docker0|eth0)$/.test(l))).toEqual([]);
    await bed.down(); // idempotent
  }, 60_000);

  test("a failed up reports the engine's complaint at once and leaves nothing behind", async () => {
    const name = "tb-selftest-bad";
    let err: unknown;
    try {
      await Testbed.up({ name, hosts: 2, stateRoot: STATE_ROOT, dockerdExtraArgs: ["--no-such-flag"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TestbedError);
    expect((err as TestbedError).code).toBe("ENGINE_TIMEOUT");
    expect((err as TestbedError).message).toContain("no-such-flag");
    expect(await Testbed.leftovers({ name, stateRoot: STATE_ROOT })).toEqual({ netns: [], mounts: [], processes: [], cgroups: [], stateDir: false });
  }, 60_000);
});
