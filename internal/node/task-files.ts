/**
 * Secrets and configs on a node: each task's files are written to a directory of its own on a tmpfs
 * (memory, never a disk: /dev/shm by default), with the reference's owner and mode, and bind-mounted
 * read-only into the container (secrets at /run/secrets/NAME, configs at their target). The payloads
 * come with the task's assignment (NodeView.file); a task's files are deleted when its container is
 * removed or the task ends. Refuses to write anywhere that is not a tmpfs.
 */
import { chmod, chown, mkdir, rm, writeFile } from "node:fs/promises";
import { statfsSync } from "node:fs";
import { join, posix } from "node:path";
import type { Id, Mount, Task } from "../api/index.ts";
import type { TaskFiles } from "../executor/index.ts";

const TMPFS_MAGIC = 0x01021994;

export function defaultFilesDir(nodeId: Id): string {
  return `/dev/shm/swarm-files-${nodeId.slice(0, 16)}`;
}

/** A secret's target: a name under /run/secrets (or an absolute path there). */
export function secretTarget(name: string): string {
  return name.startsWith("/") ? name : posix.join("/run/secrets", name);
}

export function configTarget(name: string): string {
  return name.startsWith("/") ? name : `/${name}`;
}

export function tmpfsTaskFiles(dir: string, payload: (kind: "secret" | "config", id: Id) => Uint8Array | undefined): TaskFiles {
  const taskDir = (taskId: Id) => join(dir, taskId.replace(/[^a-z0-9]/gi, "_"));
  return {
    async mounts(task: Task): Promise<Mount[]> {
      const cs = task.Spec.ContainerSpec;
      const refs = [
        ...(cs.Secrets ?? []).map((r) => ({ kind: "secret" as const, id: r.SecretID, name: r.SecretName, file: r.File, target: secretTarget(r.File.Name) })),
        ...(cs.Configs ?? []).map((r) => ({ kind: "config" as const, id: r.ConfigID, name: r.ConfigName, file: r.File, target: configTarget(r.File.Name) })),
      ];
      if (refs.length === 0) return [];
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      if (statfsSync(dir).type !== TMPFS_MAGIC) throw new Error(`${dir} is not on a tmpfs: secrets and configs are only ever written to memory`);
      const td = taskDir(task.ID);
      await mkdir(td, { recursive: true, mode: 0o700 });
      const out: Mount[] = [];
      for (const [i, r] of refs.entries()) {
        const data = payload(r.kind, r.id);
        if (data === undefined) throw new Error(`${r.kind} ${r.name} was not delivered to this node with the task`);
        const path = join(td, `${r.kind}-${i}`);
        await writeFile(path, data, { mode: 0o600 });
        await chown(path, Number(r.file.UID), Number(r.file.GID));
        await chmod(path, r.file.Mode);
        out.push({ Type: "bind", Source: path, Target: r.target, ReadOnly: true });
      }
      return out;
    },
    async release(taskId: Id): Promise<void> {
      await rm(taskDir(taskId), { recursive: true, force: true });
    },
  };
}
