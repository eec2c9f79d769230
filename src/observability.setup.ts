// Observability wiring: metrics, health probes, latency monitor and system status for one server (ADR 0015).
import { randomUUID } from 'node:crypto';
import type { Config } from './config/schema.js';
import { isWorking, type Order } from './domain/order.js';
import { EventLoopMonitor } from './observability/event-loop.js';
import { diskProbe, HealthMonitor } from './observability/health.js';
import { OrderLatencyMonitor } from './observability/latency-monitor.js';
import { Metrics } from './observability/metrics.js';
import { redisProbe, type RedisProbe } from './observability/redis-probe.js';
import { SystemStatus, type BreakerInfo, type StatusProviders } from './observability/system-status.js';
import type { Broker } from './ports/broker.js';
import type { SqlDriver } from './store/driver.js';

/** What the observability wiring reads from the runtime once it exists. */
export interface ObservedRuntime {
  readonly brokers: ReadonlyMap<string, Broker>;
  readonly execution: { onOrder(listener: (order: Order) => void): () => void };
  readonly state: {
    allBooks(): Iterable<{ readonly positions: ReadonlyMap<string, { netQuantity: number }> }>;
  };
  readonly opened: { readonly driver: SqlDriver };
  /** Breakers and the error trail (src/resilience.setup.ts) feed GET /system/status. */
  readonly resilience?: {
    readonly breakers: {
      states(): readonly { readonly name: string; readonly state: BreakerInfo['state'] }[];
    };
    readonly tracker: { recent(limit?: number): readonly unknown[] };
  };
}

/** What the observability wiring reads from a cluster node (src/cluster.setup.ts). */
export interface ObservedCluster {
  readonly instanceId: string;
  readonly gate: { role(): string };
  view(): Promise<{ readonly instances: readonly object[] }>;
}

export interface Observability {
  readonly metrics: Metrics;
  readonly latency: OrderLatencyMonitor;
  readonly health: HealthMonitor;
  readonly status: SystemStatus;
  /** Hooks for instances, extra resources, recent errors and breaker states (empty by default). */
  readonly providers: StatusProviders;
  /** Marks the server ready (GET /health/ready 200) and starts event-loop figures afresh after startup. */
  markReady(): void;
  /** Marks the server draining (GET /health/ready 503) while it shuts down. */
  markDraining(): void;
  /** Subscribes to the runtime (order metrics, positions, health probes). `journalOk` false = unhealthy. */
  attach(runtime: ObservedRuntime, journalOk: () => boolean): void;
  /** Scale-out: /system/status lists the cluster's instances; /health shows this instance's role. */
  attachCluster(cluster: ObservedCluster): void;
  /** The AppDeps entries of observability. */
  appDeps(): {
    metrics: Metrics;
    metricsToken: () => string | null;
    health: HealthMonitor;
    system: {
      status: () => Promise<Record<string, unknown>>;
      latency: OrderLatencyMonitor['query'];
    };
  };
  close(): void;
}

/** `redisUrl`: the Redis this server uses (its health is checked), if any. */
export function createObservability(
  config: Config,
  version: string,
  redisUrl: string | null = config.redisUrl,
): Observability {
  const metrics = new Metrics();
  const latency = new OrderLatencyMonitor({ windowMs: config.latency.windowMs });
  const eventLoop = new EventLoopMonitor();
  eventLoop.start();
  const health = new HealthMonitor(() => config.health.timeoutMs);
  const providers: StatusProviders = {};
  const status = new SystemStatus(version, randomUUID(), eventLoop, providers);
  let redis: RedisProbe | null = null;
  let tradesHere = (): boolean => true;
  const stops: (() => void)[] = [];

  return {
    metrics,
    latency,
    health,
    status,
    providers,
    attach(runtime, journalOk) {
      // Count status changes, not every journal entry: a modify or a partial fill keeps the status.
      const last = new Map<string, string>();
      stops.push(
        runtime.execution.onOrder((o) => {
          if (last.get(o.orderId) !== o.status) metrics.orders.inc({ broker: o.broker, status: o.status });
          if (isWorking(o)) last.set(o.orderId, o.status);
          else last.delete(o.orderId);
        }),
      );
      const res = runtime.resilience;
      if (res) {
        providers.breakers ??= () => res.breakers.states().map((b) => ({ broker: b.name, ...b }));
        providers.recentErrors ??= () => res.tracker.recent(20);
      }
      metrics.countPositionsWith(() => {
        let n = 0;
        for (const book of runtime.state.allBooks())
          for (const p of book.positions.values()) if (p.netQuantity !== 0) n++;
        return n;
      });
      const kind = runtime.opened.driver.dialect;
      health.add('database', async () => {
        await runtime.opened.driver.ping();
        return { ok: true, detail: `${kind}: SELECT 1 answered` };
      });
      health.add('journal', () =>
        Promise.resolve(
          journalOk()
            ? { ok: true }
            : { ok: false, detail: 'a broker event could not be recorded; restart to reconcile' },
        ),
      );
      if (redisUrl !== null && redisUrl !== '') {
        redis = redisProbe(redisUrl);
        health.add('redis', redis.probe);
      }
      for (const b of runtime.brokers.values()) {
        health.add(`broker:${b.name}`, () => {
          // A cluster follower has not started its brokers: the leader trades, so that is not a fault.
          if (!tradesHere()) return Promise.resolve({ ok: true, detail: 'standby: the leader trades' });
          return b.health ? b.health() : Promise.resolve({ ok: true, detail: 'no health probe' });
        });
      }
      health.add(
        'disk',
        diskProbe(config.dataDir, () => config.health.diskMinFreePercent),
      );
      health.add('event_loop', () => {
        const s = eventLoop.snapshot();
        const max = config.health.eventLoopMaxDelayMs;
        return Promise.resolve({ ok: s.p99Ms <= max, detail: `p99 ${s.p99Ms} ms (limit ${max} ms)` });
      });
    },
    markReady() {
      // Startup (instrument master, books) blocks the loop for a while; that is not a health problem.
      eventLoop.restart();
      health.lifecycle = 'ready';
    },
    markDraining() {
      health.lifecycle = 'draining';
    },
    attachCluster(cluster) {
      providers.instances ??= async () => (await cluster.view()).instances;
      tradesHere = () => cluster.gate.role() === 'leader';
      health.add('cluster', () => Promise.resolve({ ok: true, detail: cluster.gate.role() }));
    },
    appDeps: () => ({
      metrics,
      metricsToken: () => config.metrics.token,
      health,
      system: {
        status: () => status.report(),
        latency: (q) => latency.query(q),
      },
    }),
    close() {
      for (const s of stops.splice(0)) s();
      eventLoop.stop();
      redis?.close();
    },
  };
}
