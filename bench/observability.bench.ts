// Observability costs on the order path: one latency record (ring write), a latency query over full rings,
// and one request-metrics update (counter + histogram), each per call.
import { performance } from 'node:perf_hooks';
import { runBench, writeReport } from './report.js';
import { OrderLatencyMonitor } from '../src/observability/latency-monitor.js';
import { Metrics } from '../src/observability/metrics.js';

const TYPES = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;

function perCallNs(n: number, f: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 50_000); i++) f(i); // warm up
  const start = performance.now();
  for (let i = 0; i < n; i++) f(i);
  return ((performance.now() - start) * 1e6) / n;
}

await runBench(async () => {
  const startedAt = new Date();
  const monitor = new OrderLatencyMonitor();
  const t = { validation: 0.01, risk: 0.02, store: 0.3, broker: 0.5, total: 0.9 };
  const recordNs = perCallNs(2_000_000, (i) => {
    monitor.record('paper', TYPES[i & 3] ?? 'MARKET', t);
  });
  const marksNs = perCallNs(2_000_000, () => {
    const a = monitor.now();
    const b = monitor.now();
    if (b < a) throw new Error('clock went back');
  });
  const queryStart = performance.now();
  const report = monitor.query();
  const queryMs = performance.now() - queryStart;
  const metrics = new Metrics({ processMetrics: false });
  const requestNs = perCallNs(1_000_000, (i) => {
    metrics.requests.inc({ method: 'POST', route: '/api/v1/placeorder', status: 200 });
    metrics.requestDuration.observe({ method: 'POST', route: '/api/v1/placeorder' }, (i % 100) / 10_000);
  });
  const out = {
    latencyRecordNs: recordNs,
    twoClockMarksNs: marksNs,
    latencyQueryMs: queryMs,
    samplesQueried: report.overall.count,
    requestMetricsNs: requestNs,
  };
  process.stdout.write(
    `latency record: ${recordNs.toFixed(0)} ns; 2 stage marks: ${marksNs.toFixed(0)} ns; ` +
      `query over ${String(report.overall.count)} samples: ${queryMs.toFixed(1)} ms; ` +
      `request metrics per request: ${requestNs.toFixed(0)} ns\n`,
  );
  await writeReport('observability', startedAt, out);
  return 0;
});
