// Time source for the core, so services and the paper exchange are deterministic under test.

/** Wall-clock and scheduling. Production uses the system clock; tests use a manual clock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Runs `fn` every `ms` milliseconds until the returned function is called. Timers must not keep the
   * process alive on their own (production implementations `unref` them).
   */
  every(ms: number, fn: () => void): () => void;
}
