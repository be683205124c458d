/**
 * How long a run's workers had nothing to run while graphile-worker fetched their next jobs: the
 * time its local queues spent in POLLING mode (the queue has run dry and a fetch is under way),
 * summed over the queues. With no-op jobs this is most of a run, so whatever slows the fetch
 * (the database's other work, CPU shared with the worker process) slows the whole run.
 * Counted until it is read, so the run's last poll is counted up to the moment all jobs ran.
 */
import { performance } from "node:perf_hooks";
import { LocalQueueModes, type WorkerEvents } from "graphile-worker";

/** Starts counting; the function returned gives the milliseconds so far. */
export function countFetchWaits(events: WorkerEvents): () => number {
  const pollingSince = new Map<object, number>();
  let endedMs = 0;
  events.on("localQueue:setMode", ({ localQueue, oldMode, newMode }) => {
    const now = performance.now();
    const since = pollingSince.get(localQueue);
    if (oldMode === LocalQueueModes.POLLING && since !== undefined) {
      endedMs += now - since;
      pollingSince.delete(localQueue);
    }
    if (newMode === LocalQueueModes.POLLING) pollingSince.set(localQueue, now);
  });
  return () => {
    const now = performance.now();
    let ongoingMs = 0;
    for (const since of pollingSince.values()) ongoingMs += now - since;
    return endedMs + ongoingMs;
  };
}
