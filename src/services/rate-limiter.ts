// Rate limits per client IP and per API key by endpoint class, over a counter store; fails open on store errors.
import type { RateClass, RateLimitConfig } from '../config/schema.js';
import type { RateCounter, RateDecision, RateLimitStore } from '../ports/rate-limit.js';
import { ALLOWED } from '../ports/rate-limit.js';

export interface RateSubjects {
  readonly ip: string;
  /** A stable, non-secret identifier of the presented API key (a hash), when one was presented. */
  readonly key: string | null;
}

export interface RateLimiterHooks {
  /** The store failed: the request is let through (fail open); the caller logs and counts it. */
  readonly onStoreError: (err: unknown) => void;
}

export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly config: () => RateLimitConfig,
    private readonly hooks: RateLimiterHooks,
  ) {}

  /** Whether limits are being enforced right now (settings are read on every call: hot-reloadable). */
  enabled(): boolean {
    return this.config().enabled;
  }

  /** Counts one request of class `cls` from these subjects and decides whether it may proceed. */
  async check(cls: RateClass, subjects: RateSubjects, now: number): Promise<RateDecision> {
    const config = this.config();
    if (!config.enabled) return ALLOWED;
    const rules = config[cls];
    if (rules.length === 0) return ALLOWED;
    const counters: RateCounter[] = [];
    for (const r of rules) {
      counters.push({ key: `${cls}:ip:${subjects.ip}`, limit: r.limit, windowMs: r.windowMs });
      if (subjects.key !== null)
        counters.push({ key: `${cls}:key:${subjects.key}`, limit: r.limit, windowMs: r.windowMs });
    }
    try {
      return await this.store.hit(counters, now);
    } catch (err) {
      this.hooks.onStoreError(err);
      return ALLOWED;
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
