// Event-loop delay: perf_hooks' histogram, snapshotted and reset on a fixed interval.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface EventLoopSnapshot {
  /** Mean, 99th percentile and max delay over the last interval, in milliseconds. */
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Length of the interval the figures cover. */
  readonly intervalMs: number;
}

const ms = (ns: number): number => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);

/**
 * Readers (GET /health, /system/status, a gauge) see the last completed interval, so no reader resets
 * what another reads; until the first interval ends they see the live histogram.
 */
export class EventLoopMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private last: EventLoopSnapshot | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs = 5_000) {}

  start(): void {
    if (this.timer) return;
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.last = this.read();
      this.histogram.reset();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Forgets everything measured so far. */
  restart(): void {
    this.histogram.reset();
    this.last = null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  private read(): EventLoopSnapshot {
    const h = this.histogram;
    if (h.count === 0) return { meanMs: 0, p99Ms: 0, maxMs: 0, intervalMs: this.intervalMs };
    return { meanMs: ms(h.mean), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), intervalMs: this.intervalMs };
  }

  snapshot(): EventLoopSnapshot {
    return this.last ?? this.read();
  }
}
