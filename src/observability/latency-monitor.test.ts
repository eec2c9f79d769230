// Order latency monitor: exact percentiles, per-group filters, the rolling window and the bounded ring.
import { describe, expect, it } from 'vitest';
import type { OrderStageTimings } from '../ports/latency.js';
import { OrderLatencyMonitor } from './latency-monitor.js';

const timings = (total: number): OrderStageTimings => ({
  validation: total / 10,
  risk: total / 10,
  store: total / 5,
  broker: total / 2,
  total,
});

describe('OrderLatencyMonitor', () => {
  it('computes nearest-rank p50/p90/p99/max per broker and order type', () => {
    let now = 0;
    const m = new OrderLatencyMonitor({ now: () => now });
    for (let i = 1; i <= 100; i++) m.record('paper', 'MARKET', timings(i));
    m.record('paper', 'LIMIT', timings(1000));
    m.record('zerodha', 'MARKET', timings(7));
    now = 10;
    const all = m.query();
    expect(all.overall.count).toBe(102);
    expect(all.groups.map((g) => [g.broker, g.orderType, g.count])).toEqual([
      ['paper', 'LIMIT', 1],
      ['paper', 'MARKET', 100],
      ['zerodha', 'MARKET', 1],
    ]);
    const market = m.query({ broker: 'paper', orderType: 'MARKET' }).overall;
    expect(market.stages.total).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
    expect(market.stages.broker).toEqual({ p50: 25, p90: 45, p99: 49.5, max: 50 });
    expect(m.query({ orderType: 'MARKET' }).overall.count).toBe(101);
    expect(m.query({ broker: 'nobody' }).overall).toMatchObject({ count: 0, stages: { total: { max: 0 } } });
  });

  it('only counts samples inside the window', () => {
    let now = 0;
    const m = new OrderLatencyMonitor({ now: () => now, windowMs: 1_000 });
    m.record('paper', 'MARKET', timings(500));
    now = 900;
    m.record('paper', 'MARKET', timings(5));
    now = 1_500;
    expect(m.query().overall).toMatchObject({ count: 1, stages: { total: { max: 5 } } });
    expect(m.query({ windowMs: 2_000 }).overall.count).toBe(2);
    now = 10_000;
    expect(m.query().overall.count).toBe(0);
  });

  it('keeps only the most recent `capacity` orders per group', () => {
    const m = new OrderLatencyMonitor({ now: () => 0, capacity: 8 });
    for (let i = 1; i <= 20; i++) m.record('paper', 'SL', timings(i));
    const r = m.query().overall;
    expect(r.count).toBe(8);
    expect(r.stages.total).toMatchObject({ p50: 16, max: 20 });
  });
});
