// The shipped Grafana dashboard only queries metrics that GET /metrics really exports.
import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../deploy/grafana/algogate-dashboard.json', import.meta.url), 'utf8'),
) as { panels: Panel[]; templating: { list: { query: { query: string } }[] } };

describe('deploy/grafana/algogate-dashboard.json', () => {
  it('references only exported metric series, and every issue-5 metric has a panel', async () => {
    const families = parsePrometheusTextFormat(await new Metrics().text());
    const series = new Set<string>();
    for (const f of families) {
      series.add(f.name);
      if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) series.add(f.name + s);
    }
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => v.query.query),
    ];
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap((e) => e.match(/\balgogate_[a-z0-9_]+/g) ?? []));
    const unknown = [...used].filter((m) => !series.has(m));
    expect(unknown).toEqual([]);
    for (const m of [
      'algogate_requests_total',
      'algogate_request_duration_seconds_bucket',
      'algogate_orders_total',
      'algogate_positions_current',
      'algogate_errors_total',
      'algogate_security_events_total',
      'algogate_broker_call_duration_seconds_bucket',
      'algogate_circuit_breaker_state',
      'algogate_process_resident_memory_bytes',
    ]) {
      expect(used.has(m), m).toBe(true);
    }
  });

  it('gives every panel a title and a unique grid position', () => {
    const at = dashboard.panels.map((p) => {
      expect(p.title).not.toBe('');
      const g = (p as unknown as { gridPos: { x: number; y: number } }).gridPos;
      return `${g.x},${g.y}`;
    });
    expect(new Set(at).size).toBe(at.length);
  });
});
