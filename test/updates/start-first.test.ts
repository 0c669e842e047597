// A one-replica service behind the routing mesh, updated with --update-order start-first, loses no
// request: the new task (gated by its health check) runs before the old one leaves the endpoint table
// and stops. Checked with a request loop from a client namespace against the published port, on a
// one-host test bed (its own netns and dockerd) with the compiled binary and the nftables mesh.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Testbed, unsupportedReason, type TestbedHost } from "../testbed/index.ts";
import { runBinary, swarmBinary, type RunResult } from "../cli/fixture.ts";
import { waitUntil } from "../harness/index.ts";

const why = unsupportedReason();
if (why) console.warn(`SKIPPING start-first (routing mesh) test: ${why}`);

const SERVE_ID = "hostname > /www/id; exec httpd -f -p 80 -h /www";

/** `n` requests, each on a new connection, `pauseSec` apart; one line each: the body or FAIL<exit>. */
function curlLoop(url: string, n: number, pauseSec: number): string[] {
  return ["sh", "-c", `for i in $(seq ${n}); do r=$(curl -s -m 3 ${url}) && echo "$r" || echo "FAIL$?"; sleep ${pauseSec}; done`];
}
const lines = (r: { stdout: string }) => r.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");

describe.skipIf(why !== null)("start-first update behind the routing mesh (test bed, compiled binary)", () => {
  let bed: Testbed;
  let bin: string;
  let h1: TestbedHost;

  beforeAll(async () => {
    bin = await swarmBinary();
    bed = await Testbed.up({ name: "updates-sf", hosts: 1 });
    h1 = bed.hosts[0]!;
  }, 120_000);
  afterAll(async () => {
    await bed?.down();
  }, 60_000);

  test("a request loop sees the old task, then the new one, and no failed request", async () => {
    const dir = mkdtempSync(join(h1.dir, "swarm-sf-"));
    const socket = join(dir, "swarm.sock");
    const logFile = join(dir, "agent.log");
    const swarm = (args: string[]): Promise<RunResult> => runBinary(bin, args, { SWARM_HOST: `unix://${socket}` }, 60_000);
    const ok = async (args: string[]): Promise<string> => {
      const r = await swarm(args);
      if (r.code !== 0) throw new Error(`swarm ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    const agent = h1.spawn(
      [bin, "agent", "--data-dir", join(dir, "state"), "--socket", socket, "--docker-host", h1.dockerHost, "--advertise-addr", h1.ip, "--mesh-backend", "nftables", "--log-file", logFile],
      { stdout: "ignore", stderr: "ignore" },
    );
    const url = `http://${h1.ip}:8080/id`;
    const running = async () =>
      (await h1.dockerOk(["ps", "-q", "--filter", "label=com.swarm.service.name=web", "--filter", "status=running"])).split("\n").filter(Boolean);
    try {
      await waitUntil("the agent to answer", async () => (await swarm(["info"])).code === 0, 20_000, 100);
      await ok(["init", "--advertise-addr", h1.ip]);
      await ok([
        "service", "create", "--name", "web", "-p", "8080:80", "--stop-grace-period", "1s", "--update-order", "start-first", "--update-monitor", "500ms",
        "--health-cmd", "wget -q -O /dev/null http://127.0.0.1/id", "--health-interval", "100ms", "--health-retries", "1",
        "swarm-busybox:latest", "sh", "-c", SERVE_ID,
      ]);
      const [old] = await waitUntil("the task answers", async () => {
        const ids = await running();
        const got = lines(await bed.client.exec(curlLoop(url, 2, 0)));
        return ids.length === 1 && got.every((l) => l === ids[0]) && ids;
      }, 30_000, 100);

      const loop = bed.client.exec(curlLoop(url, 120, 0.05));
      await Bun.sleep(300); // let the loop get going before the change (pacing, not synchronisation)
      await ok(["service", "update", "--env-add", "VERSION=2", "web"]);
      const [fresh] = await waitUntil("one running container, the new one", async () => {
        const ids = await running();
        return ids.length === 1 && ids[0] !== old && ids;
      }, 30_000, 100);
      const got = lines(await loop);
      expect(got.filter((l) => l !== old && l !== fresh)).toEqual([]);
      // The loop spanned the update: it saw both tasks (else this test proves nothing).
      expect(got).toContain(old!);
      expect(got).toContain(fresh!);
      expect((JSON.parse(await ok(["service", "inspect", "web"]))[0].UpdateStatus ?? {}).State).toMatch(/updating|completed/);
      await ok(["leave", "--force"]);
      await waitUntil("the agent to exit", async () => agent.exitCode !== null, 30_000, 100);
    } catch (e) {
      console.error(`agent log:\n${(() => { try { return readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n"); } catch { return "(none)"; } })()}`);
      throw e;
    } finally {
      if (agent.exitCode === null) {
        await swarm(["leave", "--force"]).catch(() => undefined);
        agent.kill("SIGKILL");
      }
      await agent.exited;
    }
  }, 120_000);
});
