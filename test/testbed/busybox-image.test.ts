// The busybox test image builder: deterministic, and a valid docker-save archive. No root needed.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { BUSYBOX_IMAGE_REF, buildBusyboxImageTar } from "./index.ts";
import { busyboxLayer, imageArchive } from "../fixtures/busybox-image/index.ts";
import { writeTar } from "../fixtures/busybox-image/tar.ts";

const haveBusybox = existsSync("/bin/busybox");
if (!haveBusybox) console.warn("SKIPPING busybox image build tests: /bin/busybox missing (apt-get install busybox-static)");

const dir = mkdtempSync(`${tmpdir()}/bbimg-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tarList = (path: string, member?: string): string => {
  const r = Bun.spawnSync(["tar", "-tvf", path, ...(member ? [member] : [])]);
  return r.stdout.toString();
};

describe("tar writer", () => {
  test("same entries give the same bytes; GNU tar reads them back", async () => {
    const entries = [
      { kind: "dir" as const, path: "d", mode: 0o755 },
      { kind: "file" as const, path: "d/f", mode: 0o644, data: new TextEncoder().encode("x".repeat(600)) },
      { kind: "symlink" as const, path: "d/l", target: "/d/f" },
    ];
    const a = writeTar(entries);
    expect(a).toEqual(writeTar(entries));
    expect(a.length % 512).toBe(0);
    const p = `${dir}/t.tar`;
    await Bun.write(p, a);
    const listing = Bun.spawnSync(["tar", "-tvf", p]).stdout.toString();
    expect(listing).toContain("d/f");
    expect(listing).toContain("d/l -> /d/f");
    expect(listing).toContain("600");
  });

  test("rejects paths longer than 100 bytes instead of truncating them", () => {
    expect(() => writeTar([{ kind: "dir", path: "a".repeat(120), mode: 0o755 }])).toThrow();
  });
});

describe.skipIf(!haveBusybox)("buildBusyboxImageTar", () => {
  test("two builds give the same image ID and bytes; the ID is the config digest", async () => {
    const a = await buildBusyboxImageTar(`${dir}/a/img.tar`);
    const b = await buildBusyboxImageTar(`${dir}/b/img.tar`);
    expect(a.ref).toBe(BUSYBOX_IMAGE_REF);
    expect(a.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.imageId).toBe(a.imageId);
    expect(await Bun.file(a.tarPath).bytes()).toEqual(await Bun.file(b.tarPath).bytes());
    expect(tarList(a.tarPath)).toContain(`${a.imageId.slice(7)}.json`);
  });

  test("the archive is docker-save shaped and the layer has busybox, its applets and /www", async () => {
    const img = await buildBusyboxImageTar(`${dir}/c/img.tar`, { ref: "x-busybox:1" });
    const x = `${dir}/c/x`;
    Bun.spawnSync(["mkdir", "-p", x]);
    expect(Bun.spawnSync(["tar", "-xf", img.tarPath, "-C", x]).exitCode).toBe(0);
    const manifest = (await Bun.file(`${x}/manifest.json`).json()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    expect(manifest).toHaveLength(1);
    expect(manifest[0]!.RepoTags).toEqual(["x-busybox:1"]);
    const config = (await Bun.file(`${x}/${manifest[0]!.Config}`).json()) as { config: { Entrypoint?: unknown; Env: string[]; Cmd: string[] } };
    expect(config.config.Entrypoint).toBeUndefined();
    expect(config.config.Env[0]).toStartWith("PATH=");
    const layer = tarList(`${x}/${manifest[0]!.Layers[0]}`);
    for (const want of ["bin/busybox", "bin/sh -> /bin/busybox", "usr/sbin/httpd -> /bin/busybox", "bin/sleep -> /bin/busybox",
      "usr/bin/nc -> /bin/busybox", "bin/ping -> /bin/busybox", "usr/bin/wget -> /bin/busybox", "www/index.html", "etc/passwd"]) {
      expect(layer).toContain(want);
    }
    expect(layer).toContain("drwxrwxrwt"); // /tmp is 1777
  });

  test("pure pieces: the image ID depends on the layer bytes only", () => {
    const layer = busyboxLayer(new Uint8Array([1, 2, 3]), ["bin/sh", "usr/bin/wget"]);
    expect(imageArchive(layer, "r:1").imageId).toBe(imageArchive(layer, "r:1").imageId);
    const other = busyboxLayer(new Uint8Array([1, 2, 4]), ["bin/sh", "usr/bin/wget"]);
    expect(imageArchive(other, "r:1").imageId).not.toBe(imageArchive(layer, "r:1").imageId);
  });
});
