/**
 * The leader's own node reaches its dispatcher in-process: the same session protocol as over the
 * transport (one code path for the node), without a network hop.
 */
import type { Id, SessionMessage } from "../api/index.ts";
import type { Dispatcher } from "../manager/index.ts";
import type { LeaderLink, SessionStream } from "../node/index.ts";

export function localLink(d: Dispatcher, self: Id, addr: string, managerAddr: string): LeaderLink {
  return {
    target: self,
    open(req): SessionStream {
      const queue: SessionMessage[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      const ac = new AbortController();
      const finish = () => {
        ended = true;
        wake?.();
      };
      void d
        .serve(self, addr, managerAddr, req, {
          signal: ac.signal,
          async write(m) {
            if (ended) throw new Error("session ended");
            queue.push(structuredClone(m));
            wake?.();
          },
          end: finish,
        })
        .finally(finish);
      return {
        cancel() {
          ac.abort();
          finish();
        },
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (queue.length > 0) yield queue.shift()!;
            if (ended || ac.signal.aborted) return;
            await new Promise<void>((r) => (wake = r));
            wake = undefined;
          }
        },
      };
    },
    report: (r) => d.report(self, r),
    async heartbeat(h) {
      d.heartbeat(self, h);
    },
  };
}
