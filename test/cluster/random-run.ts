/**
 * A seeded random scenario on a one-process cluster (3 managers, 3 workers): writes, crashes,
 * power-offs, partitions, restarts, drains; the invariants are checked after every step, and at the end,
 * with every fault healed, the cluster must converge with every acknowledged write present.
 * Used by test/cluster/random.test.ts (a few seeds in CI) and scripts/cluster-sim (many).
 */
import { waitUntil } from "../harness/index.ts";
import { replicated, TestCluster, type TestNode } from "./harness.ts";
import { acknowledgedPresent, atMostOneRunningPerSlot, converged } from "./invariants.ts";

export interface RunResult {
  seed: number;
  steps: string[];
}

export async function randomRun(seed: number, steps = 12, log: (s: string) => void = () => {}): Promise<RunResult> {
  const c = await TestCluster.start(seed, 3, 3);
  const r = c.rand;
  const done: string[] = [];
  const acked = new Set<string>();
  const removed = new Set<string>();
  const faulty = new Set<TestNode>();
  let serial = 0;
  const step = (s: string) => {
    done.push(s);
    log(`seed ${seed} step ${done.length}: ${s}`);
  };
  const anyManager = () => c.managers().filter((m) => m.up && !faulty.has(m));
  try {
    for (let i = 0; i < steps; i++) {
      const pick = r.int(0, 100);
      const managersDown = c.nodes.filter((n) => n.agent.role === "manager" && faulty.has(n)).length;
      const candidates = c.nodes.filter((n) => n.up && !faulty.has(n));
      if (pick < 35) {
        const name = `s${++serial}`;
        const via = anyManager()[r.int(0, anyManager().length)];
        if (!via) continue;
        step(`create ${name} via ${via.name}`);
        try {
          await via.api.createService(replicated(name, r.int(1, 6)));
          acked.add(name);
        } catch (e) {
          step(`  refused: ${(e as Error).message.slice(0, 80)}`);
        }
      } else if (pick < 45 && acked.size > 0) {
        const name = [...acked][r.int(0, acked.size)]!;
        const via = anyManager()[0];
        if (!via) continue;
        step(`rm ${name} via ${via.name}`);
        try {
          await via.api.removeServices([name]);
          acked.delete(name);
          removed.add(name);
        } catch (e) {
          step(`  refused: ${(e as Error).message.slice(0, 80)}`);
        }
      } else if (pick < 60) {
        const n = candidates[r.int(0, candidates.length)];
        if (!n || (n.agent.role === "manager" && managersDown >= 1)) continue;
        const kind = ["crash", "power-off", "partition"][r.int(0, 3)]!;
        step(`${kind} ${n.name}`);
        faulty.add(n);
        if (kind === "crash") await c.crash(n);
        else if (kind === "power-off") await c.powerOff(n);
        else c.partition(n);
        // Let the cluster notice (or not): a down node's tasks move after ~1.4 s with the test timings.
        await Bun.sleep(r.int(0, 2000));
      } else if (pick < 80 && faulty.size > 0) {
        const n = [...faulty][r.int(0, faulty.size)]!;
        step(`recover ${n.name}`);
        faulty.delete(n);
        if (n.up) c.heal(n);
        else await c.restart(n);
      } else if (pick < 90) {
        const w = c.nodes.filter((n) => n.agent.role === "worker" && n.up)[r.int(0, 3)];
        const via = anyManager()[0];
        if (!w || !via) continue;
        const availability = (["drain", "active", "pause"] as const)[r.int(0, 3)];
        step(`${availability} ${w.name}`);
        await via.api.updateNode(w.id, { availability }).catch((e) => step(`  refused: ${(e as Error).message.slice(0, 80)}`));
      } else {
        step("wait 500 ms");
        await Bun.sleep(500);
      }
      const l = c.leader();
      if (l) {
        const st = l.agent.requireManager().state;
        atMostOneRunningPerSlot(st);
      }
    }
    step("heal everything");
    for (const n of [...faulty]) {
      if (n.up) c.heal(n);
      else await c.restart(n);
    }
    for (const n of c.nodes) if (n.up) await n.api.updateNode(n.id, { availability: "active" }).catch(() => undefined);
    await c.waitAllReady(20_000);
    await waitUntil(`seed ${seed}: converged after healing`, () => converged(c), 30_000, 100);
    const st = await (await c.waitLeader()).agent.read();
    acknowledgedPresent(st, acked);
    for (const name of removed) if (Object.values(st.services).some((s) => s.Spec.Name === name)) throw new Error(`seed ${seed}: removed service ${name} is back`);
    atMostOneRunningPerSlot(st);
    return { seed, steps: done };
  } catch (e) {
    throw new Error(`seed ${seed} failed after steps:\n  ${done.join("\n  ")}\n${(e as Error).stack ?? e}`);
  } finally {
    await c.close();
  }
}
