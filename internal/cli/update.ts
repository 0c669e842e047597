/**
 * A service update as Docker does it, safe against concurrent writers: read the service, build the new
 * spec from what was read, and send it with the Version it was based on. The state machine refuses a
 * stale version (CONFLICT, "update out of sequence"); then the service is read again and the same
 * edit is applied to the newer spec, so two concurrent `service update`s both land, in some order.
 *
 * Only a conflict caused by a newer version is retried (the service's Version moved since it was
 * read); any other conflict (a published port taken) is the user's to resolve and is thrown at once.
 */
import { SwarmError, type Service, type ServiceSpec, type ServiceView } from "../api/index.ts";
import type { AgentClient } from "../client/index.ts";

export interface UpdateOptions {
  /** Attempts before giving up on a service that keeps changing under us. Default 10. */
  attempts?: number;
  /** Waits between attempts (jittered, growing); tests pass a no-op. */
  sleep?: (ms: number) => Promise<void>;
}

export async function updateServiceWithRetry(
  client: AgentClient,
  ref: string,
  edit: (current: Service) => ServiceSpec,
  o: UpdateOptions = {},
): Promise<{ ID: string; attempts: number }> {
  const attempts = o.attempts ?? 10;
  const sleep = o.sleep ?? ((ms: number) => Bun.sleep(ms));
  const path = (id: string) => `/services/${encodeURIComponent(id)}`;
  for (let attempt = 1; ; attempt++) {
    const { Service } = await client.call<ServiceView>("GET", path(ref));
    const spec = edit(Service);
    const version = Service.Version.Index;
    try {
      const { ID } = await client.call<{ ID: string }>("POST", `${path(Service.ID)}/update`, { spec, version });
      return { ID, attempts: attempt };
    } catch (err) {
      if (!(err instanceof SwarmError) || err.code !== "CONFLICT") throw err;
      const now = (await client.call<ServiceView>("GET", path(Service.ID))).Service.Version.Index;
      if (now === version) throw err; // not a stale read: a real conflict
      if (attempt >= attempts) {
        throw SwarmError.conflict(
          `service ${ref} changed ${attempts} times while this update was being applied (it is at version ${now}); nothing of this update was applied: run it again`,
        );
      }
      await sleep(Math.round((5 + Math.random() * 20) * attempt));
    }
  }
}
