// Scheduled jobs that must run once across instances: each (job, slot) is claimed in the shared database.
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { JobRunStore } from '../ports/store.js';

/** The UTC hour a time falls in, as a slot key (`2026-12-04T14`). */
export function hourSlot(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** The UTC minute a time falls in, as a slot key (`2026-12-04T14:05`). */
export function minuteSlot(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export class ScheduledJobs {
  /** The last slot this instance tried per job, so a job is attempted once per slot per instance. */
  private readonly tried = new Map<string, string>();

  constructor(
    private readonly store: JobRunStore,
    private readonly clock: Clock,
    /** Recorded with each claim, so operators see which instance ran what. */
    readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  /** True when this instance won (job, slot) and must run it; false when any instance already claimed it. */
  claim(job: string, slot: string): Promise<boolean> {
    return this.store.claimJob(job, slot, this.instanceId, this.clock.now());
  }

  /**
   * Runs `fn` when this instance claims (job, slot); at most once per slot across all instances. A run that
   * throws stays claimed (the next slot retries): jobs are written to tolerate a skipped slot, not a double run.
   */
  async runOnce(job: string, slot: string, fn: () => Promise<unknown>): Promise<boolean> {
    if (this.tried.get(job) === slot) return false;
    this.tried.set(job, slot);
    if (!(await this.claim(job, slot))) {
      this.log.info({ job, slot, instance: this.instanceId }, 'scheduled job already claimed by an instance');
      return false;
    }
    this.log.info({ job, slot, instance: this.instanceId }, 'scheduled job claimed');
    try {
      await fn();
    } finally {
      await this.store.finishJob(job, slot, this.clock.now());
    }
    return true;
  }
}
