/**
 * The visualizer page in a real headless Chromium (Debian's), served by the daemon's own listener and
 * web source over a one-process cluster (1 manager, 2 workers; fake runtimes): it renders the nodes and
 * the tasks, shows a scale-up within a second, and greys a node that goes down with the tasks it last
 * ran. The page loads nothing but its own address, and the web address refuses every write.
 * SWARM_SCREENSHOT_DIR=dir keeps the screenshots (for the closing note).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveTcp, webHandler } from "../../internal/daemon/index.ts";
import { replicated, TestCluster, type TestNode } from "../cluster/harness.ts";
import { waitUntil } from "../harness/index.ts";
import { chromiumMissing, launchChromium, type Page } from "./cdp.ts";

const missing = chromiumMissing();
if (missing) throw new Error(missing);

let c: TestCluster;
let m1: TestNode;
let server: ReturnType<typeof Bun.serve>;
let base: string;
let page: Page;

const shots = process.env.SWARM_SCREENSHOT_DIR;

beforeAll(async () => {
  c = await TestCluster.start(1302, 1, 2);
  m1 = c.nodes[0]!;
  server = serveTcp("127.0.0.1", 0, webHandler(m1.api));
  base = `http://127.0.0.1:${server.port}`;
  await c.createService(replicated("web", 2));
  await c.createService(replicated("db", 1));
  await waitUntil("3 running tasks", () => Object.values(c.state().tasks).filter((t) => t.Status.State === "running").length === 3, 15_000);
  page = await launchChromium();
}, 90_000);

afterAll(async () => {
  await page?.close();
  server?.stop(true);
  await c?.close();
});

const count = (selector: string) => page.eval<number>(`document.querySelectorAll(${JSON.stringify(selector)}).length`);

describe("the visualizer page in Chromium", () => {
  test("renders nodes as columns and tasks as cards, colored per service", async () => {
    await page.navigate(`${base}/`);
    await waitUntil("3 node columns and 3 task cards", async () => (await count(".node")) === 3 && (await count(".task[data-state=running]")) === 3, 10_000, 20);
    const nodes = await page.eval<{ host: string; status: string; role: string; text: string }[]>(
      `[...document.querySelectorAll(".node")].map(n => ({ host: n.dataset.hostname, status: n.dataset.status, role: n.dataset.role, text: n.querySelector(".facts").textContent }))`,
    );
    expect(nodes.map((n) => n.host)).toEqual(["m1", "w1", "w2"]); // managers first
    expect(nodes.every((n) => n.status === "ready")).toBe(true);
    expect(nodes[0]!.role).toBe("manager");
    expect(nodes[0]!.text).toContain("engine fake-1.0");
    const cards = await page.eval<{ service: string; slot: string; text: string; bg: string }[]>(
      `[...document.querySelectorAll(".task")].map(t => ({ service: t.dataset.service, slot: t.dataset.slot, text: t.textContent, bg: getComputedStyle(t).backgroundColor }))`,
    );
    expect(cards.map((t) => `${t.service}.${t.slot}`).sort()).toEqual(["db.1", "web.1", "web.2"]);
    expect(cards.find((t) => t.service === "web")!.text).toContain("swarm-busybox:latest");
    expect(cards.find((t) => t.service === "web")!.text).toContain("running");
    const webColors = new Set(cards.filter((t) => t.service === "web").map((t) => t.bg));
    expect(webColors.size).toBe(1);
    expect(webColors.has(cards.find((t) => t.service === "db")!.bg)).toBe(false);
    expect(await page.eval<string>(`document.getElementById("legend").textContent`)).toContain("web 2/2");
  });

  test("a scale-up shows within a second", async () => {
    const svc = Object.values(c.state().services).find((s) => s.Spec.Name === "web")!;
    const t0 = performance.now();
    await m1.api.updateService("web", { ...svc.Spec, Mode: { Replicated: { Replicas: 6 } } }, svc.Version.Index);
    await waitUntil("6 web cards", async () => (await count(".task[data-service=web]")) === 6, 5_000, 10);
    const shownMs = performance.now() - t0;
    console.log(`scale-up 2 -> 6 shown on the page ${shownMs.toFixed(0)} ms after the update was sent`);
    expect(shownMs).toBeLessThan(1000);
    await waitUntil("6 running web cards", async () => (await count(".task[data-service=web][data-state=running]")) === 6, 10_000, 20);
    if (shots) writeFileSync(join(shots, "visualizer-scaled.png"), await page.screenshot());
  });

  test("a node that goes down is greyed, with the tasks it last ran", async () => {
    const w2 = c.nodes.find((n) => n.name === "w2")!;
    const onW2 = await page.eval<string[]>(`[...document.querySelectorAll(".node[data-hostname=w2] .task")].map(t => t.dataset.id)`);
    expect(onW2.length).toBeGreaterThan(0);
    await c.powerOff(w2);
    await waitUntil("w2 shown down", async () => (await count(".node[data-hostname=w2][data-status=down]")) === 1, 10_000, 20);
    const down = await page.eval<{ opacity: string; filter: string; last: string[]; badge: string }>(
      `(() => { const n = document.querySelector(".node[data-hostname=w2]"); const s = getComputedStyle(n);
        return { opacity: s.opacity, filter: s.filter, badge: n.querySelector(".badge.down")?.textContent ?? "",
                 last: [...n.querySelectorAll(".task.last")].map(t => t.dataset.id) }; })()`,
    );
    expect(Number(down.opacity)).toBeLessThan(1);
    expect(down.filter).toContain("grayscale");
    expect(down.badge).toBe("down");
    expect(down.last.sort()).toEqual([...onW2].sort()); // the tasks it ran, still shown there
    // Their slots are refilled on the nodes still up, and the page follows.
    await waitUntil("the 7 web+db cards running on the nodes still up", async () => (await count(".node:not([data-status=down]) .task[data-state=running]")) === 7, 15_000, 50);
    if (shots) writeFileSync(join(shots, "visualizer-node-down.png"), await page.screenshot());
    const summary = await page.eval<string>(`document.getElementById("summary").textContent`);
    expect(summary).toContain("(1 down)");
  }, 30_000);

  test("the page is self-contained: it requested nothing but its own address", () => {
    const urls = page.requests();
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => !u.startsWith(base))).toEqual([]);
  });
});

describe("the web address is read-only", () => {
  test.each(["POST", "PUT", "DELETE", "PATCH"])("%s is refused with 405", async (method) => {
    for (const path of ["/", "/events", "/metrics", "/api/cluster"]) {
      const r = await fetch(`${base}${path}`, { method, body: method === "DELETE" ? undefined : "{}" });
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, HEAD");
    }
  });

  test("events stream the view now, then on change (not a polling loop)", async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/events`, { signal: ac.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    await waitUntil("the first event", async () => {
      text += new TextDecoder().decode((await reader.read()).value);
      return text.includes("event: cluster\ndata: ");
    }, 5_000, 0);
    const first = JSON.parse(text.split("data: ")[1]!.split("\n")[0]!);
    expect(first.manager).toBe(true);
    expect(first.nodes).toHaveLength(3);
    ac.abort();
  });
});
