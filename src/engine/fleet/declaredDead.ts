/**
 * Raised where a worker finds that it was declared dead (crash recovery freed its jobs after its
 * process looked gone or silent): whatever it still holds runs elsewhere, so it abandons it
 * instead of ending it. Thrown to graphile-worker, it fails the job only if this worker still
 * holds it, which it no longer does.
 */
export class WorkerDeclaredDead extends Error {
  override name = "WorkerDeclaredDead";
  constructor(workerId: string) {
    super(`worker ${workerId} was declared dead; its jobs run elsewhere`);
  }
}
