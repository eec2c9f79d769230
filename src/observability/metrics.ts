// Every Prometheus metric algogate exports, defined in one place on a per-server registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per server instance (not prom-client's global), so several servers in one test process
 * do not collide. Components receive this object (or a narrow callback) and update the metrics they own.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'algogate_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'algogate_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly orders = new Counter({
    name: 'algogate_orders_total',
    help: 'Order status changes, by broker and new status',
    labelNames: ['broker', 'status'] as const,
    registers: [this.registry],
  });

  private positionsSource: (() => number) | null = null;

  readonly positions = new Gauge({
    name: 'algogate_positions_current',
    help: 'Open (non-flat) positions across all accounts',
    registers: [this.registry],
    // Counted from the books at scrape time rather than updated on every fill.
    collect: () => {
      if (this.positionsSource) this.positions.set(this.positionsSource());
    },
  });

  readonly errors = new Counter({
    name: 'algogate_errors_total',
    help: 'Errors by category and severity',
    labelNames: ['category', 'severity', 'component'] as const,
    registers: [this.registry],
  });

  readonly securityEvents = new Counter({
    name: 'algogate_security_events_total',
    help: 'Security events recorded, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly brokerCallDuration = new Histogram({
    name: 'algogate_broker_call_duration_seconds',
    help: 'Broker call latency by broker, operation and outcome',
    labelNames: ['broker', 'operation', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'algogate_circuit_breaker_state',
    help: 'Circuit breaker state per broker: 0 closed, 1 half-open, 2 open',
    labelNames: ['broker'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'algogate_rate_limited_total',
    help: 'Requests refused with 429 by the rate limiter, by endpoint class',
    labelNames: ['class'] as const,
    registers: [this.registry],
  });

  readonly rateLimitStoreErrors = new Counter({
    name: 'algogate_rate_limit_store_errors_total',
    help: 'Rate-limit checks let through because the shared counter store (Redis) failed (fail open)',
    registers: [this.registry],
  });

  readonly ipBlocked = new Counter({
    name: 'algogate_ip_blocked_total',
    help: 'Requests and WebSocket upgrades refused because the client IP is banned',
    registers: [this.registry],
  });

  readonly ipBansActive = new Gauge({
    name: 'algogate_ip_bans_active',
    help: 'IP bans in force, as this instance last read them',
    registers: [this.registry],
  });

  readonly resourceUsage = new Gauge({
    name: 'algogate_resource_usage_percent',
    help: 'Latest resource sample: cpu_system, cpu_process, memory, disk (data dir), fds (of the soft limit)',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly resourceAlert = new Gauge({
    name: 'algogate_resource_alert',
    help: 'Resource alert active (1) or not (0): memory, cpu, disk, fds, event_loop, memory_growth',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly eventLoopLag = new Gauge({
    name: 'algogate_event_loop_delay_p99_seconds',
    help: 'Event-loop delay p99 over the last resource sampling interval',
    registers: [this.registry],
  });

  readonly memoryGrowth = new Gauge({
    name: 'algogate_memory_growth_bytes_per_hour',
    help: 'Slope of process RSS over the resource monitor window (least squares)',
    registers: [this.registry],
  });

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'algogate_' });
  }

  /** Where `algogate_positions_current` is read from at each scrape. */
  countPositionsWith(source: () => number): void {
    this.positionsSource = source;
  }

  /** The exposition text for `GET /metrics`. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
