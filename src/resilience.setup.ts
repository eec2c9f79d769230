// Wiring of resilience: broker wrappers and breakers, the error trail, /system/errors, graceful shutdown.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import {
  registerDrainGate,
  registerErrorReporting,
  registerResilienceRoutes,
} from './http/ops/resilience.routes.js';
import { ErrorTracker } from './observability/error-tracker.js';
import type { Metrics } from './observability/metrics.js';
import { ResourceMonitor, type ResourceReport } from './observability/resource-monitor.js';
import { systemSources, type ResourceSources } from './observability/resource-sources.js';
import type { Broker } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import type { SecurityEventSink } from './ports/security-events.js';
import type { BreakerSnapshot, BreakerState } from './services/circuit-breaker.js';
import {
  ResilientBroker,
  type ResilienceHooks,
  type ResilienceSettings,
} from './services/resilient-broker.js';

const STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

export interface AttachOptions {
  readonly metrics: Metrics;
  readonly securityEvents: SecurityEventSink;
}

export interface Resilience {
  /** Classified errors and recovery actions (`recent()`, `snapshot()`); pass it as an `ErrorReporter`. */
  readonly tracker: ErrorTracker;
  /** Puts an adapter behind timeouts, its circuit breaker and read retries. */
  wrap(broker: Broker): Broker;
  /** Every broker's breaker, for /system/status and /system/errors. */
  readonly breakers: { states(): BreakerSnapshot[] };
  /** True once shutdown began: readiness answers 503. */
  readonly draining: boolean;
  beginDrain(): void;
  /** The resource monitor's latest sample, alerts and recommendations (null before attach). */
  resources(): ResourceReport | null;
  /** Adds routes and hooks to the app and starts feeding metrics; returns a function that detaches. */
  attach(app: FastifyInstance, options: AttachOptions): () => void;
}

export interface ResilienceOptions {
  /** Waits between read retries (tests pass an instant one). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Where resource samples come from (tests drive thresholds and growth with their own). */
  readonly resourceSources?: ResourceSources;
}

/** Builds the resilience layer over a config whose `resilience` and `trading` sections may change live. */
export function createResilience(
  config: Config,
  clock: Clock,
  log: Logger,
  options: ResilienceOptions = {},
): Resilience {
  const tracker = new ErrorTracker(() => clock.now());
  const wrapped: ResilientBroker[] = [];
  let metrics: Metrics | null = null;
  const timers = new Map<string, { observe(seconds: number): void }>();
  let draining = false;
  // Recomputed only when either section is replaced (hot reload), not on every call.
  let cacheKey: [unknown, unknown] = [null, null];
  let cached: ResilienceSettings | null = null;
  const settings = (): ResilienceSettings => {
    const r = config.resilience;
    if (cached && cacheKey[0] === r && cacheKey[1] === config.trading) return cached;
    cacheKey = [r, config.trading];
    cached = {
      callTimeoutMs: config.trading.brokerTimeoutMs,
      breaker: {
        failureThreshold: r.breakerFailures,
        openMs: r.breakerOpenMs,
        halfOpenProbes: r.breakerHalfOpenProbes,
      },
      retry: { attempts: r.readAttempts, baseMs: r.retryBaseMs, maxMs: Math.max(2_000, r.retryBaseMs) },
    };
    return cached;
  };
  const hooks: ResilienceHooks = {
    reporter: tracker,
    observe: (broker, operation, outcome, seconds) => {
      if (!metrics) return;
      // Labelled children are cached: resolving labels on every call would cost more than the call itself.
      const key = `${broker}\u0000${operation}\u0000${outcome}`;
      let child = timers.get(key);
      if (!child) {
        child = metrics.brokerCallDuration.labels({ broker, operation, outcome });
        timers.set(key, child);
      }
      child.observe(seconds);
    },
    onState: (broker, state) => {
      metrics?.breakerState.set({ broker }, STATE_VALUE[state]);
      const fields = { broker, state };
      if (state === 'open') log.warn(fields, 'circuit breaker opened: failing fast');
      else log.info(fields, `circuit breaker ${state.replace('_', '-')}`);
    },
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
  };
  const breakers = { states: () => wrapped.map((b) => b.breaker.snapshot()) };
  let monitor: ResourceMonitor | null = null;
  return {
    tracker,
    breakers,
    get draining() {
      return draining;
    },
    beginDrain() {
      draining = true;
    },
    resources: () => monitor?.report() ?? null,
    wrap(broker) {
      const r = new ResilientBroker(broker, clock, settings, hooks);
      wrapped.push(r);
      return r;
    },
    attach(app, opts) {
      metrics = opts.metrics;
      timers.clear();
      tracker.attachMetrics(opts.metrics);
      for (const b of wrapped)
        opts.metrics.breakerState.set({ broker: b.name }, STATE_VALUE[b.breaker.state]);
      registerDrainGate(app, () => draining);
      registerErrorReporting(app, tracker);
      const owned = options.resourceSources ? null : systemSources();
      const sources = options.resourceSources ?? (owned as ResourceSources);
      const mon = new ResourceMonitor({
        sources,
        thresholds: () => config.resources,
        dataDir: config.dataDir,
        securityEvents: opts.securityEvents,
        reporter: tracker,
        metrics: opts.metrics,
        now: () => clock.now(),
      });
      monitor = mon;
      const sample = (): void => {
        mon.sample().catch((e: unknown) => {
          log.warn({ err: e }, 'resource sample failed');
        });
      };
      sample();
      const stopSampling = clock.every(config.resources.sampleIntervalMs, sample);
      registerResilienceRoutes(app, {
        errors: () => tracker.snapshot(),
        breakers: breakers.states,
        resources: async () => (mon.report().sample === null ? mon.sample() : mon.report()),
      });
      return () => {
        stopSampling();
        owned?.close();
        metrics = null;
      };
    },
  };
}

export interface Stoppable {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Graceful stop: readiness 503 for `readinessDelayMs` (load balancers drain), then stop accepting and wait
 * for in-flight requests up to `drainTimeoutMs` (then cut their connections), then `server.close()` flushes
 * the journal and closes WebSocket, Redis and the database.
 */
export async function gracefulClose(
  server: Stoppable,
  resilience: Resilience,
  settings: () => Config['resilience'],
  log: Logger,
): Promise<void> {
  const { readinessDelayMs, drainTimeoutMs } = settings();
  resilience.beginDrain();
  if (readinessDelayMs > 0) {
    log.info({ readinessDelayMs }, 'shutdown: readiness now 503; waiting for load balancers to drain');
    await sleep(readinessDelayMs);
  }
  const cut = setTimeout(() => {
    log.warn({ drainTimeoutMs }, 'shutdown: requests still running after the drain timeout; closing them');
    server.app.server.closeAllConnections();
  }, drainTimeoutMs);
  cut.unref();
  try {
    await server.close();
  } finally {
    clearTimeout(cut);
  }
}

/**
 * SIGTERM/SIGINT: graceful close, then exit 0 (1 if closing failed). A second signal exits at once with 1.
 */
export function installShutdownSignals(
  server: Stoppable,
  resilience: Resilience,
  settings: () => Config['resilience'],
  log: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down: draining requests, flushing the journal');
    gracefulClose(server, resilience, settings, log).then(
      () => {
        log.info({}, 'shutdown complete');
        exit(0);
      },
      (e: unknown) => {
        log.error({ err: e }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}
