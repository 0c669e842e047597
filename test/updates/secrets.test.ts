/**
 * Secrets and configs through the compiled binary on a real dockerd: a secret is readable in the
 * container at /run/secrets/NAME (and at a custom target, with its owner and mode), mounted read-only
 * from memory; its plaintext is found nowhere in the data dir (Raft log, snapshots, agent log) nor in
 * `inspect`; it cannot be removed while a service uses it; configs are mounted the same way; bad
 * references are refused before anything changes; a task's files are deleted once it ends.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { skipUnlessDocker, waitUntil } from "../harness/index.ts";
import { startOneNode, type OneNode } from "../cli/fixture.ts";

const skip = skipUnlessDocker("secret tests");

/** Every file under `dir` (recursively) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(skip)("secrets and configs on a one-node cluster", () => {
  let n: OneNode;
  const plaintext = `pw-${randomBytes(12).toString("hex")}`;
  beforeAll(async () => {
    n = await startOneNode("updates-secrets");
  }, 120_000);
  afterAll(async () => {
    await n?.close();
  }, 120_000);

  const exec = async (service: string, cmd: string[]) => {
    const [c] = await n.dockerd.docker.listContainers({ filters: JSON.stringify({ name: [`${service}.`] }) });
    const e = await n.dockerd.docker.getContainer(c!.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await e.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      stream.on("data", (b: Buffer) => chunks.push(b));
      stream.on("end", () => resolve());
    });
    // Docker's multiplexed frames: 8-byte headers.
    const buf = Buffer.concat(chunks);
    let out = "";
    for (let i = 0; i + 8 <= buf.length; ) {
      const len = buf.readUInt32BE(i + 4);
      out += buf.subarray(i + 8, i + 8 + len).toString();
      i += 8 + len;
    }
    return out;
  };

  test("a secret is mounted read-only from memory in the task, with its target, owner and mode, and is stored nowhere in plaintext", async () => {
    const file = join(n.dataDir, "pw.txt");
    writeFileSync(file, plaintext);
    const id = (await n.ok(["secret", "create", "--label", "app=db", "db_pw", file])).trim();
    expect(id).toMatch(/^[0-9a-z]{25}$/);
    writeFileSync(file, ""); // only the cluster has it now
    await n.ok(["config", "create", "app.conf", join(import.meta.dir, "secrets.test.ts")]);

    await n.ok(["service", "create", "--name", "db", "--stop-grace-period", "1s", "--secret", "db_pw",
      "--secret", "source=db_pw,target=copy,uid=1000,gid=1001,mode=0400", "--config", "source=app.conf,target=/etc/app.conf", n.image, "sleep", "1000"]);
    expect(await exec("db", ["cat", "/run/secrets/db_pw"])).toBe(plaintext);
    expect(await exec("db", ["stat", "-c", "%u %g %a", "/run/secrets/copy"])).toBe("1000 1001 400\n");
    expect(await exec("db", ["cat", "/etc/app.conf"])).toBe(readFileSync(join(import.meta.dir, "secrets.test.ts"), "utf8"));
    expect(await exec("db", ["sh", "-c", "echo x > /run/secrets/db_pw 2>&1 || echo refused"])).toMatch(/Read-only file system|refused/);
    // Where it comes from: a tmpfs on the host (memory), bind-mounted read-only.
    const [c] = await n.dockerd.docker.listContainers({ filters: JSON.stringify({ name: ["db."] }) });
    const mounts = (await n.dockerd.docker.getContainer(c!.Id).inspect()).Mounts.filter((m: any) => m.Destination === "/run/secrets/db_pw");
    expect(mounts).toHaveLength(1);
    expect(mounts[0].RW).toBe(false);
    expect(mounts[0].Source.startsWith("/dev/shm/")).toBe(true);

    // Nowhere in the data dir (Raft log and snapshots in raft.db, the agent log, archives), nor in inspect.
    expect(filesContaining(n.dataDir, plaintext)).toEqual([]);
    const inspect = await n.ok(["secret", "inspect", "db_pw"]);
    expect(inspect).not.toContain(plaintext);
    expect(inspect).not.toContain("Sealed");
    expect(JSON.parse(inspect)[0].Spec).toEqual({ Name: "db_pw", Labels: { app: "db" } });
    expect(await n.ok(["service", "inspect", "db"])).not.toContain(plaintext);
    expect(await n.ok(["secret", "ls"])).toMatch(/db_pw/);

    // In use: refused, and says by whom.
    const rm = await n.run(["secret", "rm", "db_pw"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toMatch(/secret 'db_pw' is in use by the following service: db/);
    const crm = await n.run(["config", "rm", "app.conf"]);
    expect(crm.code).toBe(1);

    // --secret-rm (every reference to it): the new task has no such file; the old task's files are
    // deleted with it, and the secret can go.
    const source = mounts[0].Source as string;
    expect(existsSync(source)).toBe(true);
    await n.ok(["service", "update", "--secret-rm", "db_pw", "db"]);
    expect(await exec("db", ["sh", "-c", "ls /run/secrets/db_pw /run/secrets/copy 2>&1 | wc -l; cat /etc/app.conf | wc -c"])).toMatch(/^2\n\s*[1-9]\d*\n$/);
    await waitUntil("the replaced task's files are deleted", () => !existsSync(source), 20_000, 100);

    await n.ok(["secret", "rm", "db_pw"]);
    await n.ok(["service", "rm", "db"]);
    await n.ok(["config", "rm", "app.conf"]);
    expect(await n.ok(["secret", "ls", "-q"])).toBe("");
    expect(filesContaining(n.dataDir, plaintext)).toEqual([]);
  }, 90_000);

  test("bad secret references and flags are refused, naming the problem, and nothing is created", async () => {
    const cases: [string[], RegExp][] = [
      [["--secret", "nosuch"], /secret not found: nosuch; create it first with `swarm secret create nosuch FILE`/],
      [["--config", "nosuch"], /config not found: nosuch/],
      [["--secret", "source=x,mode=999"], /--secret.*mode must be an octal file mode/],
      [["--secret", "source=x,colour=red"], /--secret.*unknown field "colour"/],
      [["--secret", "source=x,target=../../etc/passwd"], /--secret.*target must be a clean path/],
      [["--secret", "source=x,target=/etc/shadow"], /--secret.*path under \/run\/secrets/],
    ];
    for (const [flags, err] of cases) {
      const r = await n.run(["service", "create", "--name", "bad", ...flags, n.image, "true"]);
      expect({ flags, code: r.code }).toEqual({ flags, code: 1 });
      expect(r.stderr).toMatch(err);
    }
    expect(await n.ok(["service", "ls", "-q"])).toBe("");
    const empty = join(n.dataDir, "empty");
    writeFileSync(empty, "");
    const r = await n.run(["secret", "create", "x", empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/secret data is empty/);
    const dup = join(n.dataDir, "one");
    writeFileSync(dup, "1");
    await n.ok(["secret", "create", "dup", dup]);
    const again = await n.run(["secret", "create", "dup", dup]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/secret dup already exists/);
    expect((await n.run(["secret", "create", "bad/name", dup])).stderr).toMatch(/invalid secret name/);
    await n.ok(["secret", "rm", "dup"]);
    expect(statSync(n.dataDir).isDirectory()).toBe(true);
  }, 60_000);
});
