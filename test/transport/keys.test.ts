import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
