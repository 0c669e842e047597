// `swarm service create -p 8080:80 --replicas 3 …` through the routing mesh, with the compiled binary as
// a user runs it: the agent runs inside test-bed host 1 (its own netns and dockerd with bridge
// networking); CLI calls reach it through its socket file. Checked per backend (nftables, userspace;
// the kernel here has no IPVS): 127.0.0.1:8080 and the host's own address from host 1, and host 1's
// address from host 2 and the client namespace all answer, spread over the three tasks; scaling to 1
// loses no new connection and leaves one task answering; --publish-add 9090:80 works; an agent crash
// and restart keeps serving; service rm refuses at once; leave --force removes the nft table and the
// listeners.
// Budget: ~30-45 s per backend on a loaded machine (bed up once).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Testbed, unsupportedReason, type TestbedHost } from "../testbed/index.ts";
import { runBinary, swarmBinary, type RunResult } from "./fixture.ts";
import { waitUntil } from "../harness/wait.ts";

const why = unsupportedReason();
if (why) console.warn(`SKIPPING publish (routing mesh) CLI tests: ${why}`);

const SERVE_ID = "hostname > /www/id; exec httpd -f -p 80 -h /www";

const until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> =>
  waitUntil(what, fn, timeoutMs, 100);

/** `n` requests, each on a new connection; one line per request: the body, or FAIL<curl exit code>. */
function curlLoop(url: string, n: number, pauseSec = 0): string[] {
  const pause = pauseSec > 0 ? `; sleep ${pauseSec}` : "";
  return ["sh", "-c", `for i in $(seq ${n}); do r=$(curl -s -m 3 ${url}) && echo "$r" || echo "FAIL$?"${pause}; done`];
}

const lines = (r: { stdout: string }) => r.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");

describe.skipIf(why !== null)("service create -p through the routing mesh (test bed, compiled binary)", () => {
  let bed: Testbed;
  let bin: string;
  let h1: TestbedHost;
  let h2: TestbedHost;

  beforeAll(async () => {
    bin = await swarmBinary();
    bed = await Testbed.up({ name: "publish", hosts: 2 });
    h1 = bed.hosts[0]!;
    h2 = bed.hosts[1]!;
  }, 120_000);

  afterAll(async () => {
    await bed?.down();
  }, 60_000);

  for (const backend of (process.env.PUBLISH_BACKENDS?.split(",") ?? ["nftables", "userspace"]) as ("nftables" | "userspace")[]) {
    test(`${backend}: 127.0.0.1, own address, other host and client; scale, publish-add, rm, leave`, async () => {
      const dir = mkdtempSync(join(h1.dir, `swarm-${backend}-`));
      const socket = join(dir, "swarm.sock");
      const logFile = join(dir, "agent.log");
      const env = { SWARM_HOST: `unix://${socket}` };
      const swarm = (args: string[]): Promise<RunResult> => runBinary(bin, args, env, 60_000);
      const ok = async (args: string[]): Promise<string> => {
        const r = await swarm(args);
        if (r.code !== 0) throw new Error(`swarm ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
        return r.stdout;
      };
      const startAgent = () =>
        h1.spawn(
          [bin, "agent", "--data-dir", join(dir, "state"), "--socket", socket, "--docker-host", h1.dockerHost, "--advertise-addr", h1.ip, "--mesh-backend", backend, "--log-file", logFile],
          { stdout: "ignore", stderr: "ignore" },
        );
      let agent = startAgent();
      const url = (ip: string, port = 8080) => `http://${ip}:${port}/id`;
      /** Container hostnames (= the identities the tasks serve) of the service's running containers. */
      const identities = async (): Promise<string[]> => {
        const out = await h1.dockerOk(["ps", "-q", "--no-trunc", "--filter", "label=com.swarm.service.name=web", "--filter", "status=running"]);
        return out.split("\n").filter(Boolean).map((id) => id.slice(0, 12)).sort();
      };
      try {
        await until("the agent to answer", async () => (await swarm(["info"])).code === 0, 20_000);
        await ok(["init", "--advertise-addr", h1.ip]);
        await until(`swarm info to show the ${backend} mesh`, async () => (await ok(["info"])).includes(`Routing mesh: ${backend}`), 10_000);

        await ok(["service", "create", "-d", "--name", "web", "-p", "8080:80", "--replicas", "3", "swarm-busybox:latest", "sh", "-c", SERVE_ID]);
        const ids = await until("3 running containers", async () => {
          const l = await identities();
          return l.length === 3 && l;
        });
        // Published once every task runs and reported its host port.
        await until("all 3 tasks to answer on 127.0.0.1:8080", async () => {
          const seen = new Set(lines(await h1.exec(curlLoop(url("127.0.0.1"), 6))));
          return ids.every((id) => seen.has(id));
        });
        const ps = JSON.parse(await ok(["service", "inspect", "web"]));
        expect(JSON.stringify(ps)).toContain('"PublishedPort":8080');

        // One source at a time: round robin is per published port, shared by all sources.
        const from: [string, () => Promise<{ stdout: string }>][] = [
          ["h1 -> 127.0.0.1", () => h1.exec(curlLoop(url("127.0.0.1"), 9))],
          ["h1 -> own address", () => h1.exec(curlLoop(url(h1.ip), 9))],
          ["h2 -> h1", () => h2.exec(curlLoop(url(h1.ip), 9))],
          ["client -> h1", () => bed.client.exec(curlLoop(url(h1.ip), 9))],
        ];
        for (const [what, run] of from) {
          const got = lines(await run());
          expect({ what, failed: got.filter((l) => !ids.includes(l)) }).toEqual({ what, failed: [] });
          expect({ what, seen: [...new Set(got)].sort() }).toEqual({ what, seen: ids });
        }

        // Scale to 1 under a steady request loop: no new connection fails.
        const loop = bed.client.exec(curlLoop(url(h1.ip), 80, 0.05));
        await Bun.sleep(300); // let the loop get going before the change (pacing, not synchronisation)
        await ok(["service", "scale", "-d", "web=1"]);
        const [left] = await until("one running container", async () => {
          const l = await identities();
          return l.length === 1 && l;
        });
        const during = lines(await loop);
        expect(during.filter((l) => !ids.includes(l))).toEqual([]);
        const after = lines(await bed.client.exec(curlLoop(url(h1.ip), 6)));
        expect(after).toEqual(Array(6).fill(left));
        expect(lines(await h1.exec(curlLoop(url("127.0.0.1"), 3)))).toEqual(Array(3).fill(left));

        // --publish-add: the task is replaced by one publishing both ports.
        await ok(["service", "update", "-d", "--publish-add", "9090:80", "web"]);
        let seen = "";
        await until("9090 and 8080 to answer", async () => {
          const a = lines(await bed.client.exec(curlLoop(url(h1.ip, 9090), 2)));
          const b = lines(await h2.exec(curlLoop(url(h1.ip, 8080), 2)));
          const now = await identities();
          seen = JSON.stringify({ a, b, now, left });
          return now.length === 1 && now[0] !== left && [...a, ...b].every((l) => l === now[0]);
        }).catch(async (e) => {
          throw new Error(`${e.message}; last: ${seen}\n${(await swarm(["service", "ps", "web"])).stdout}\n${(await swarm(["service", "inspect", "web"])).stdout}`);
        });

        // The agent crashes (kill -9) and comes back: the task is adopted, not replaced, and the mesh
        // answers again (nftables rules even survive the crash: they live in the kernel).
        const [served] = await identities();
        agent.kill("SIGKILL");
        await agent.exited;
        if (backend === "nftables") expect(lines(await bed.client.exec(curlLoop(url(h1.ip), 2)))).toEqual([served, served]);
        agent = startAgent();
        await until("both ports to answer after the agent restarted", async () => {
          const got = [...lines(await bed.client.exec(curlLoop(url(h1.ip, 9090), 2))), ...lines(await h1.exec(curlLoop(url("127.0.0.1"), 2)))];
          return got.every((l) => l === served);
        });
        expect(await identities()).toEqual([served]);

        // service rm: the ports refuse, at once (not a timeout).
        await ok(["service", "rm", "web"]);
        await until("8080 and 9090 to refuse", async () => {
          const t0 = Date.now();
          const r = await bed.client.exec(["sh", "-c", `curl -s -m 3 ${url(h1.ip)}; a=$?; curl -s -m 3 ${url(h1.ip, 9090)}; echo "$a $?"`]);
          return r.stdout.trim().endsWith("7 7") && Date.now() - t0 < 2000;
        }, 20_000);
        expect((await h1.exec(["sh", "-c", `curl -s -m 3 ${url("127.0.0.1")}; echo " $?"`])).stdout.trim()).toBe("7");

        // Publish again, then leave --force: the mesh's table and listeners go with the agent.
        await ok(["service", "create", "-d", "--name", "web", "-p", "8080:80", "swarm-busybox:latest", "sh", "-c", SERVE_ID]);
        await until("8080 to answer again", async () => (await h1.exec(["curl", "-s", "-m", "3", url(h1.ip)])).code === 0);
        if (backend === "nftables") expect((await h1.execOk(["nft", "list", "tables"]))).toContain("swarm");
        await ok(["leave", "--force"]);
        await until("the agent to exit", async () => agent.exitCode !== null, 30_000);
        expect((await h1.execOk(["nft", "list", "tables"]))).not.toContain("swarm");
        expect((await h1.execOk(["ss", "-ltnH"])).split("\n").filter((l) => /:(8080|9090)\s/.test(l))).toEqual([]);
        expect(await identities()).toEqual([]);
      } catch (e) {
        console.error(`agent log (${backend}):\n${(() => { try { return readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n"); } catch { return "(none)"; } })()}`);
        throw e;
      } finally {
        if (agent.exitCode === null) {
          await swarm(["leave", "--force"]).catch(() => undefined);
          agent.kill("SIGKILL");
        }
        await agent.exited;
      }
    }, 120_000);
  }
});
