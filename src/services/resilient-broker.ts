// The Broker port around any adapter: a timeout on every call, a circuit breaker, retries for idempotent reads.
import {
  BrokerError,
  type Broker,
  type BrokerEvent,
  type BrokerHealth,
  type BrokerModify,
  type BrokerOrderRequest,
  type BrokerOrderSnapshot,
  type BrokerTrade,
} from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import type { ErrorReporter } from '../ports/error-reporter.js';
import {
  CircuitBreaker,
  CircuitOpenError,
  type BreakerSettings,
  type BreakerState,
} from './circuit-breaker.js';

export interface RetrySettings {
  /** Attempts of an idempotent read in all (1 = no retry). */
  readonly attempts: number;
  /** First backoff ceiling; doubles each attempt ("full jitter": the wait is random in [0, ceiling]). */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = { attempts: 3, baseMs: 100, maxMs: 2_000 };

export interface ResilienceSettings {
  /** Per-call timeout; past it the outcome is unknown. */
  readonly callTimeoutMs: number;
  readonly breaker: BreakerSettings;
  readonly retry: RetrySettings;
}

export type CallOutcome = 'ok' | 'rejected' | 'unavailable' | 'unknown' | 'timeout' | 'circuit_open';

export interface ResilienceHooks {
  /** Classified errors and recovery actions. */
  readonly reporter: ErrorReporter;
  /** Each call's latency and outcome (metrics). */
  readonly observe?: (broker: string, operation: string, outcome: CallOutcome, seconds: number) => void;
  /** Breaker state changes (metrics gauge). */
  readonly onState?: (broker: string, state: BreakerState) => void;
  /** Waits between read retries (tests pass an instant one). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) for the jitter (tests pass a fixed one). */
  readonly random?: () => number;
}

class CallTimeout extends BrokerError {
  constructor(what: string, ms: number) {
    super('unknown', `${what}: no answer from the broker within ${ms} ms`);
  }
}

const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Full-jitter exponential backoff: a wait uniformly drawn from [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, s: RetrySettings, random: () => number): number {
  const ceiling = Math.min(s.maxMs, s.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Wraps an adapter. Writes (place, modify, cancel) go through the breaker and a timeout and are never
 * retried: a timeout or reset leaves the outcome unknown for reconciliation. Reads (findOrder, tradesFor)
 * are retried with backoff on `unavailable`/`unknown` failures. A definitive refusal (`rejected`) proves the
 * venue is up, so it never counts against the breaker.
 */
export class ResilientBroker implements Broker {
  readonly name: string;
  readonly journaled?: boolean;
  readonly breaker: CircuitBreaker;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    readonly inner: Broker,
    private readonly clock: Clock,
    private readonly settings: () => ResilienceSettings,
    private readonly hooks: ResilienceHooks,
  ) {
    this.name = inner.name;
    if (inner.journaled !== undefined) this.journaled = inner.journaled;
    this.sleep = hooks.sleep ?? realSleep;
    this.random = hooks.random ?? Math.random;
    const component = `broker:${this.name}`;
    this.breaker = new CircuitBreaker(
      this.name,
      clock,
      () => settings().breaker,
      (t) => {
        hooks.onState?.(this.name, t.to);
        if (t.to === 'open') {
          hooks.reporter.error({
            severity: 'high',
            category: 'network',
            component,
            code: 'BROKER_CIRCUIT_OPEN',
            message: `circuit opened after ${t.count} consecutive failures (last: ${t.reason ?? 'unknown'})`,
          });
          hooks.reporter.recovery({
            action: 'breaker_opened',
            component,
            detail: {
              from: t.from,
              failures: t.count,
              retry_at: t.retryAt === null ? null : new Date(t.retryAt).toISOString(),
            },
          });
        } else {
          hooks.reporter.recovery({
            action: t.to === 'closed' ? 'breaker_closed' : 'breaker_half_open',
            component,
            detail: t.to === 'closed' ? { probes: t.count } : {},
          });
        }
      },
    );
  }

  /** The venue's own health, reported unhealthy while its circuit breaker is open (GET /health). */
  async health(): Promise<BrokerHealth> {
    if (this.breaker.state === 'open') return { ok: false, detail: 'circuit breaker open' };
    const inner = this.inner.health ? await this.inner.health() : { ok: true, detail: 'no health probe' };
    return this.breaker.state === 'half_open'
      ? { ok: inner.ok, detail: `${inner.detail ?? ''} (circuit half-open)`.trim() }
      : inner;
  }

  /** Fails fast (CircuitOpenError) when a call would not be admitted; lets an order be refused before its intent is recorded. */
  checkAvailable(): void {
    this.breaker.check();
  }

  start(): Promise<void> {
    return this.inner.start();
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
  onEvent(listener: (event: BrokerEvent) => void): () => void {
    return this.inner.onEvent(listener);
  }

  placeOrder(request: BrokerOrderRequest): Promise<{ brokerOrderId: string }> {
    return this.once('placeorder', () => this.inner.placeOrder(request));
  }
  modifyOrder(brokerOrderId: string, changes: BrokerModify): Promise<void> {
    return this.once('modifyorder', () => this.inner.modifyOrder(brokerOrderId, changes));
  }
  cancelOrder(brokerOrderId: string): Promise<void> {
    return this.once('cancelorder', () => this.inner.cancelOrder(brokerOrderId));
  }
  findOrder(clientOrderId: string): Promise<BrokerOrderSnapshot | null> {
    return this.read('findorder', () => this.inner.findOrder(clientOrderId));
  }
  tradesFor(clientOrderId: string): Promise<readonly BrokerTrade[]> {
    return this.read('tradesfor', () => this.inner.tradesFor(clientOrderId));
  }

  /** An idempotent read: retried on failures that prove nothing, never while the circuit is open. */
  private async read<T>(op: string, call: () => Promise<T>): Promise<T> {
    const retry = this.settings().retry;
    for (let attempt = 0; ; attempt++) {
      try {
        const value = await this.once(op, call);
        if (attempt > 0) {
          this.hooks.reporter.recovery({
            action: 'retry_succeeded',
            component: `broker:${this.name}`,
            detail: { operation: op, attempts: attempt + 1 },
          });
        }
        return value;
      } catch (e) {
        const retryable =
          e instanceof BrokerError && e.kind !== 'rejected' && !(e instanceof CircuitOpenError);
        if (!retryable || attempt + 1 >= retry.attempts) throw e;
        await this.sleep(backoffMs(attempt, retry, this.random));
      }
    }
  }

  /** One admitted call with a timeout; the outcome feeds the breaker, metrics and the error trail. */
  private once<T>(op: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let probe: boolean;
    try {
      probe = this.breaker.acquire();
    } catch (e) {
      this.hooks.observe?.(this.name, op, 'circuit_open', 0);
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const timeoutMs = this.settings().callTimeoutMs;
    // Callbacks stay anonymous and inline: this is the hot path of every order.
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(this.failed(op, probe, started, new CallTimeout(op, timeoutMs)));
      }, timeoutMs);
      let pending: Promise<T>;
      try {
        pending = call();
      } catch (e) {
        settled = true;
        clearTimeout(timer);
        reject(this.failed(op, probe, started, e));
        return;
      }
      pending.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.breaker.success(probe);
          this.hooks.observe?.(this.name, op, 'ok', (performance.now() - started) / 1000);
          resolve(value);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(this.failed(op, probe, started, e));
        },
      );
    });
  }

  /** Records a failed call and returns the error to reject with. */
  private failed(op: string, probe: boolean, started: number, e: unknown): Error {
    const outcome = this.classify(e);
    this.hooks.observe?.(this.name, op, outcome, (performance.now() - started) / 1000);
    if (outcome === 'rejected') {
      this.breaker.success(probe);
    } else {
      const message = e instanceof Error ? e.message : String(e);
      this.breaker.failure(probe, `${op}: ${message}`);
      this.hooks.reporter.error({
        severity: 'medium',
        category: 'network',
        component: `broker:${this.name}`,
        code: outcome === 'timeout' ? 'BROKER_TIMEOUT' : 'BROKER_UNAVAILABLE',
        message: `${op}: ${message}`,
      });
    }
    return e instanceof Error ? e : new BrokerError('unknown', String(e));
  }

  private classify(e: unknown): CallOutcome {
    if (e instanceof CallTimeout) return 'timeout';
    if (e instanceof BrokerError) return e.kind;
    return 'unknown';
  }
}
