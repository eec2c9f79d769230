// Fixed-window rate-limit counters in this process's memory (one instance).
import type { RateCounter, RateDecision, RateLimitStore } from '../ports/rate-limit.js';
import { ALLOWED } from '../ports/rate-limit.js';

interface Window {
  count: number;
  endsAt: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  hit(counters: readonly RateCounter[], now: number): Promise<RateDecision> {
    return Promise.resolve(this.hitSync(counters, now));
  }

  hitSync(counters: readonly RateCounter[], now: number): RateDecision {
    if (now >= this.nextSweep) this.sweep(now);
    let retryAfterMs = 0;
    let firstBreach = false;
    for (const c of counters) {
      const start = now - (now % c.windowMs);
      const key = `${c.key}:${c.windowMs}`;
      let w = this.windows.get(key);
      if (w === undefined || w.endsAt <= now) {
        w = { count: 0, endsAt: start + c.windowMs };
        this.windows.set(key, w);
      }
      w.count++;
      if (w.count > c.limit) {
        retryAfterMs = Math.max(retryAfterMs, w.endsAt - now);
        if (w.count === c.limit + 1) firstBreach = true;
      }
    }
    return retryAfterMs > 0 ? { allowed: false, retryAfterMs, firstBreach } : ALLOWED;
  }

  /** Drops finished windows, at most once a second, so memory follows the set of active clients. */
  private sweep(now: number): void {
    this.nextSweep = now + 1000;
    for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
  }

  close(): Promise<void> {
    this.windows.clear();
    return Promise.resolve();
  }
}
