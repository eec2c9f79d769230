// A per-broker circuit breaker: closed, open (fail fast), half-open (a few probes decide), on an injected clock.
import { BrokerError } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before letting probes through. */
  readonly openMs: number;
  /** Probes allowed at once in half-open; that many successes in a row close the circuit. */
  readonly halfOpenProbes: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  failureThreshold: 5,
  openMs: 30_000,
  halfOpenProbes: 1,
};

/**
 * Thrown instead of calling a broker whose circuit is open. It is a `BrokerError` of kind `unavailable`:
 * nothing was sent, so an order refused this way is provably not at the venue.
 */
export class CircuitOpenError extends BrokerError {
  constructor(
    readonly broker: string,
    /** When the breaker lets the next probe through (epoch ms). */
    readonly retryAt: number,
    now: number,
  ) {
    super(
      'unavailable',
      `broker ${broker} is unavailable (circuit breaker open after repeated failures); ` +
        `failing fast without calling it, next attempt after ${new Date(retryAt).toISOString()} ` +
        `(in ${Math.max(0, Math.ceil((retryAt - now) / 1000))} s)`,
    );
  }
}

export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** Consecutive failures when it opened; successful probes when it closed. */
  readonly count: number;
  readonly retryAt: number | null;
  readonly reason: string | null;
}

/** A breaker's public view (for /system/status and /system/errors). */
export interface BreakerSnapshot {
  readonly name: string;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** When an open breaker lets the next probe through, ISO time; null unless open. */
  readonly retryAt: string | null;
  readonly openedAt: string | null;
  readonly lastFailure: string | null;
  readonly opens: number;
}

/**
 * Counts consecutive failures; opens at the threshold; after `openMs` admits up to `halfOpenProbes` calls
 * at once; closes after that many successes, re-opens on any probe failure. Settings are read on every
 * decision, so a changed threshold applies at once.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private lastFailure: string | null = null;
  private opens = 0;

  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly settings: () => BreakerSettings,
    private readonly onTransition: (t: BreakerTransition) => void = () => undefined,
  ) {}

  /** The state now (an open breaker whose wait is over reads as half-open). */
  get state(): BreakerState {
    this.maybeHalfOpen();
    return this.current;
  }

  private retryAt(): number {
    return this.openedAt + this.settings().openMs;
  }

  private maybeHalfOpen(): void {
    if (this.current === 'open' && this.clock.now() >= this.retryAt()) {
      this.current = 'half_open';
      this.probesInFlight = 0;
      this.probeSuccesses = 0;
      this.onTransition({ from: 'open', to: 'half_open', count: 0, retryAt: null, reason: null });
    }
  }

  /** Throws `CircuitOpenError` when a call would not be admitted now; admits nothing by itself. */
  check(): void {
    this.maybeHalfOpen();
    if (this.current === 'open') throw new CircuitOpenError(this.name, this.retryAt(), this.clock.now());
    if (this.current === 'half_open' && this.probesInFlight >= this.settings().halfOpenProbes) {
      throw new CircuitOpenError(this.name, this.clock.now(), this.clock.now());
    }
  }

  /**
   * Admits one call or throws `CircuitOpenError`. Returns whether the call is a half-open probe; pass it
   * back to `success`/`failure`.
   */
  acquire(): boolean {
    this.check();
    if (this.current === 'half_open') {
      this.probesInFlight++;
      return true;
    }
    return false;
  }

  success(probe: boolean): void {
    if (probe) {
      this.probesInFlight = Math.max(0, this.probesInFlight - 1);
      if (this.current !== 'half_open') return;
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.settings().halfOpenProbes) {
        const count = this.probeSuccesses;
        this.current = 'closed';
        this.failures = 0;
        this.onTransition({ from: 'half_open', to: 'closed', count, retryAt: null, reason: null });
      }
      return;
    }
    if (this.current === 'closed') this.failures = 0;
  }

  failure(probe: boolean, reason: string): void {
    this.lastFailure = reason;
    if (probe) this.probesInFlight = Math.max(0, this.probesInFlight - 1);
    if (this.current === 'half_open') {
      if (probe) this.open('half_open', reason);
      return;
    }
    if (this.current === 'open') return;
    this.failures++;
    if (this.failures >= this.settings().failureThreshold) this.open('closed', reason);
  }

  private open(from: BreakerState, reason: string): void {
    this.current = 'open';
    this.openedAt = this.clock.now();
    this.opens++;
    this.onTransition({ from, to: 'open', count: this.failures, retryAt: this.retryAt(), reason });
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      name: this.name,
      state,
      consecutiveFailures: this.failures,
      retryAt: state === 'open' ? new Date(this.retryAt()).toISOString() : null,
      openedAt: this.opens > 0 ? new Date(this.openedAt).toISOString() : null,
      lastFailure: this.lastFailure,
      opens: this.opens,
    };
  }
}
