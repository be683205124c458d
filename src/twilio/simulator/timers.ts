/**
 * Every timer and held request of a simulator, so that `reset()` and `stop()` can end them all
 * and leave no handle behind.
 */
export class Timers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly holds = new Set<() => void>();

  /** Runs `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Resolves `true` after `ms`, or `false` as soon as the timers are cleared. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const release = () => {
        cancel();
        this.holds.delete(release);
        resolve(false);
      };
      const cancel = this.after(ms, () => {
        this.holds.delete(release);
        resolve(true);
      });
      this.holds.add(release);
    });
  }

  /** Resolves only when the timers are cleared (a request that never gets an answer). */
  untilCleared(): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        this.holds.delete(release);
        resolve();
      };
      this.holds.add(release);
    });
  }

  get pending(): number {
    return this.timers.size;
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const release of [...this.holds]) release();
  }
}
