// The order latency port: OrderService reports each order's stage timings through it (docs/adr/0015).

/** Stages of one order placement, in milliseconds (fractional) of a monotonic clock. */
export interface OrderStageTimings {
  /** Instrument lookup, field rules and the market-session check. */
  readonly validation: number;
  /** The pure risk checks (margin, limits). */
  readonly risk: number;
  /** Recording the intent and committing the outcome (journal writes awaited on the order path). */
  readonly store: number;
  /** The broker call, from sending to its answer (or timeout). */
  readonly broker: number;
  /** The whole placement, from entry to the committed result. */
  readonly total: number;
}

/** Receives per-order timings. Implementations must be cheap and must never throw. */
export interface LatencyRecorder {
  /** A monotonic time in milliseconds (fractional); only differences are meaningful. */
  now(): number;
  /** Records one placement that reached the broker call (accepted, rejected or unknown). */
  record(broker: string, orderType: string, timings: OrderStageTimings): void;
}

/** A recorder that keeps nothing (tests and tools that do not measure). */
export const nullLatency: LatencyRecorder = { now: () => 0, record: () => undefined };
