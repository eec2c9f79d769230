// Order latency monitor: per-order stage timings kept in bounded rolling reservoirs, percentiles on demand.
import { performance } from 'node:perf_hooks';
import type { LatencyRecorder, OrderStageTimings } from '../ports/latency.js';

export const STAGES = ['validation', 'risk', 'store', 'broker', 'total'] as const;
export type Stage = (typeof STAGES)[number];

/** Percentiles of one stage, in milliseconds (3 decimals). */
export interface StageSummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface LatencyGroup {
  readonly broker: string;
  readonly orderType: string;
  readonly count: number;
  readonly stages: Readonly<Record<Stage, StageSummary>>;
}

export interface LatencyQuery {
  readonly broker?: string;
  readonly orderType?: string;
  /** Only samples recorded within this many milliseconds before now (default: the monitor's window). */
  readonly windowMs?: number;
}

export interface LatencyReport {
  readonly windowMs: number;
  /** Every matching sample across the groups. */
  readonly overall: LatencyGroup;
  readonly groups: readonly LatencyGroup[];
}

/** A ring of the last `capacity` samples of one broker and order type: one typed array per stage. */
class Series {
  readonly at: Float64Array;
  readonly values: Float64Array[];
  next = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.values = STAGES.map(() => new Float64Array(capacity));
  }
  push(at: number, t: OrderStageTimings): void {
    const i = this.next;
    this.at[i] = at;
    const v = this.values;
    (v[0] as Float64Array)[i] = t.validation;
    (v[1] as Float64Array)[i] = t.risk;
    (v[2] as Float64Array)[i] = t.store;
    (v[3] as Float64Array)[i] = t.broker;
    (v[4] as Float64Array)[i] = t.total;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
  }
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Nearest-rank percentile of an ascending array. */
function rank(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return round(sorted[i] ?? 0);
}

function summarise(broker: string, orderType: string, columns: number[][]): LatencyGroup {
  const stages = {} as Record<Stage, StageSummary>;
  STAGES.forEach((s, k) => {
    const sorted = Float64Array.from(columns[k] ?? []).sort();
    stages[s] = {
      p50: rank(sorted, 0.5),
      p90: rank(sorted, 0.9),
      p99: rank(sorted, 0.99),
      max: sorted.length > 0 ? round(sorted[sorted.length - 1] ?? 0) : 0,
    };
  });
  return { broker, orderType, count: columns[0]?.length ?? 0, stages };
}

export interface LatencyMonitorOptions {
  /** Samples kept per broker and order type (default 4096). */
  readonly capacity?: number;
  /** Default query window in milliseconds (default 5 minutes). */
  readonly windowMs?: number;
  /** Monotonic milliseconds (tests pass a manual one). */
  readonly now?: () => number;
}

/**
 * Recording is O(1) with no allocation after a group's first order (a bounded reservoir of the most recent
 * samples, not a sampled one: the rolling window is "the last N orders, no older than the window").
 * Percentiles are computed when queried, which is rare next to orders.
 */
export class OrderLatencyMonitor implements LatencyRecorder {
  private readonly byBroker = new Map<string, Map<string, Series>>();
  private readonly capacity: number;
  readonly windowMs: number;
  readonly now: () => number;

  constructor(options: LatencyMonitorOptions = {}) {
    this.capacity = options.capacity ?? 4096;
    this.windowMs = options.windowMs ?? 300_000;
    this.now = options.now ?? (() => performance.now());
  }

  record(broker: string, orderType: string, timings: OrderStageTimings): void {
    let types = this.byBroker.get(broker);
    if (!types) {
      types = new Map();
      this.byBroker.set(broker, types);
    }
    let series = types.get(orderType);
    if (!series) {
      series = new Series(this.capacity);
      types.set(orderType, series);
    }
    series.push(this.now(), timings);
  }

  query(q: LatencyQuery = {}): LatencyReport {
    const windowMs = q.windowMs ?? this.windowMs;
    const since = this.now() - windowMs;
    const groups: LatencyGroup[] = [];
    const all: number[][] = STAGES.map(() => []);
    for (const [broker, types] of this.byBroker) {
      if (q.broker !== undefined && q.broker !== broker) continue;
      for (const [orderType, s] of types) {
        if (q.orderType !== undefined && q.orderType !== orderType) continue;
        const cols: number[][] = STAGES.map(() => []);
        for (let i = 0; i < s.size; i++) {
          if ((s.at[i] ?? 0) < since) continue;
          STAGES.forEach((_, k) => {
            const v = (s.values[k] as Float64Array)[i] ?? 0;
            cols[k]?.push(v);
            all[k]?.push(v);
          });
        }
        if ((cols[0]?.length ?? 0) > 0) groups.push(summarise(broker, orderType, cols));
      }
    }
    groups.sort((a, b) => a.broker.localeCompare(b.broker) || a.orderType.localeCompare(b.orderType));
    return {
      windowMs,
      overall: summarise(q.broker ?? '*', q.orderType ?? '*', all),
      groups,
    };
  }
}
