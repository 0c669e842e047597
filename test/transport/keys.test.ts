import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KEY_FILE, clusterTopic, loadOrCreateKeyPair, loadOrCreateKeySeed } from "../../internal/transport/index.ts";
import { recordingLogger } from "./helpers.ts";

const root = mkdtempSync(join(tmpdir(), "swarm-transport-keys-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("node key file", () => {
  test("is created once with mode 0600 and reused, so the node id survives restarts", () => {
    const dir = join(root, "a", "nested");
    const first = loadOrCreateKeyPair(dir);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKeyPair(dir).publicKey).toEqual(first.publicKey);
    expect(readFileSync(join(dir, KEY_FILE)).length).toBe(32);
  });

  test("looser permissions are reset to 0600 with a warning; a damaged file is an error", () => {
    const dir = join(root, "b");
    loadOrCreateKeySeed(dir);
    chmodSync(join(dir, KEY_FILE), 0o644);
    const { log, lines } = recordingLogger();
    loadOrCreateKeySeed(dir, log);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(lines.some((l) => l.level === "warn")).toBe(true);
    writeFileSync(join(dir, KEY_FILE), "short");
    expect(() => loadOrCreateKeySeed(dir)).toThrow("is not a 32-byte key");
  });

  test("the topic is a 32-byte function of the cluster id", () => {
    expect(clusterTopic("c1").length).toBe(32);
    expect(clusterTopic("c1")).toEqual(clusterTopic("c1"));
    expect(clusterTopic("c1")).not.toEqual(clusterTopic("c2"));
  });
});

describe("node key file against local users (issue 10 finding 7)", () => {
  test("is 0600 whatever the umask, and written whole (no temp file left)", () => {
    const dir = join(root, "umask");
    const old = process.umask(0);
    try {
      loadOrCreateKeySeed(dir);
    } finally {
      process.umask(old);
    }
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual([KEY_FILE]);
  });

  test("a symlink in place of the key is refused (whoever planted it knows the key)", () => {
    const dir = join(root, "symlink");
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(root, "planted.key"), new Uint8Array(32), { mode: 0o600 });
    symlinkSync(join(root, "planted.key"), join(dir, KEY_FILE));
    expect(() => loadOrCreateKeySeed(dir)).toThrow("not a regular file");
  });

  test.skipIf(process.getuid?.() !== 0)("a key file owned by another user is refused (needs root to chown; skipped otherwise)", () => {
    const dir = join(root, "owner");
    loadOrCreateKeySeed(dir);
    chownSync(join(dir, KEY_FILE), 65534, 65534);
    expect(() => loadOrCreateKeySeed(dir)).toThrow("belongs to user 65534");
  });

  test("a data dir open to others is reported", () => {
    const dir = join(root, "open");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const { log, lines } = recordingLogger();
    loadOrCreateKeySeed(dir, log);
    expect(lines.some((l) => l.msg.startsWith("the data dir is open to other users"))).toBe(true);
  });
});
