// When scheduled jobs are due (IST wall-clock slots) and a runner that fires each slot once across
// instances, through a claim callback (one winner per job and slot).
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { latestSlot, slotKey, type Schedule } from '../domain/schedule.js';

/** Resolves true for exactly one caller per (job, slot) across all instances. */
export type Claim = (jobName: string, slotKey: string) => Promise<boolean>;

/** The single-instance claim: every slot is ours. */
export const alwaysClaim: Claim = () => Promise.resolve(true);

export interface ScheduledJob {
  readonly name: string;
  readonly schedule: Schedule;
  run(slotStart: number): Promise<void>;
}

/**
 * Checks every `tickMs` whether a job's latest slot is new; if it began less than `graceMs` ago (a slot
 * missed during a longer outage is not run late) and the claim is won, runs the job once for that slot.
 */
export class JobScheduler {
  private readonly last = new Map<string, number>();
  private readonly running = new Set<string>();
  private stopTimer: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly jobs: readonly ScheduledJob[],
    private readonly logger: Logger,
    private readonly claim: Claim = alwaysClaim,
    private readonly options: { readonly tickMs: number; readonly graceMs: number } = {
      tickMs: 30_000,
      graceMs: 15 * 60_000,
    },
  ) {}

  start(): () => void {
    this.stopTimer ??= this.clock.every(this.options.tickMs, () => {
      void this.tick();
    });
    return () => {
      this.stopTimer?.();
      this.stopTimer = null;
    };
  }

  /** One pass over the jobs; resolves when the jobs it started have finished. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    await Promise.all(
      this.jobs.map(async (job) => {
        const slot = latestSlot(job.schedule, now);
        if (this.last.get(job.name) === slot || this.running.has(job.name)) return;
        if (now - slot > this.options.graceMs) return;
        this.last.set(job.name, slot);
        const key = slotKey(slot);
        this.running.add(job.name);
        try {
          if (!(await this.claim(job.name, key))) {
            this.logger.info({ job: job.name, slot: key }, 'scheduled job claimed by another instance');
            return;
          }
          this.logger.info({ job: job.name, slot: key }, 'scheduled job starting');
          await job.run(slot);
          this.logger.info({ job: job.name, slot: key }, 'scheduled job done');
        } catch (e) {
          this.logger.error({ err: e, job: job.name, slot: key }, 'scheduled job failed');
        } finally {
          this.running.delete(job.name);
        }
      }),
    );
  }
}
