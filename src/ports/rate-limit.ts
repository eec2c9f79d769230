// Rate-limit counters: fixed windows counted atomically, in memory (one instance) or shared (Redis).

/** One counter to bump: at most `limit` hits per `windowMs` window under `key`. */
export interface RateCounter {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** The outcome of one hit on a set of counters. */
export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: how long until the refusing window ends. */
  readonly retryAfterMs: number;
  /** When refused: this hit is the first one over a limit in its window (a new breach, worth recording). */
  readonly firstBreach: boolean;
}

export const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0, firstBreach: false };

export interface RateLimitStore {
  /**
   * Counts one hit on every counter at once (atomically for a shared store) at time `now` and says whether
   * all of them are still within their limits. Rejects when the store is unreachable.
   */
  hit(counters: readonly RateCounter[], now: number): Promise<RateDecision>;
  close(): Promise<void>;
}
