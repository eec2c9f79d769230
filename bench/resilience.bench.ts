// Per-call cost of the resilience wrapper (timeout, circuit breaker, metrics hooks) over a broker that answers
// at once: the figure that matters for the paper exchange, whose calls are otherwise nearly free.
import { performance } from 'node:perf_hooks';
import { runBench, writeReport } from './report.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import { Metrics } from '../src/observability/metrics.js';
import type { Broker, BrokerOrderRequest } from '../src/ports/broker.js';
import { silentLogger } from '../src/ports/logger.js';
import { nullSecurityEvents } from '../src/ports/security-events.js';
import { createResilience } from '../src/resilience.setup.js';
import { systemClock } from '../src/platform/system-clock.js';
import Fastify from 'fastify';

const instant: Broker = {
  name: 'instant',
  start: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  onEvent: () => () => undefined,
  placeOrder: () => Promise.resolve({ brokerOrderId: 'B1' }),
  modifyOrder: () => Promise.resolve(),
  cancelOrder: () => Promise.resolve(),
  findOrder: () => Promise.resolve(null),
  tradesFor: () => Promise.resolve([]),
};

/** What the order service did before the wrapper: its own timer around each call. */
function timerOnly(b: Broker): Broker {
  const bounded = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        reject(new Error('timeout'));
      }, 5_000);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  return { ...b, placeOrder: (r) => bounded(b.placeOrder(r)), findOrder: (id) => bounded(b.findOrder(id)) };
}

const request = { clientOrderId: 'c1' } as unknown as BrokerOrderRequest;

async function perCallNs(b: Broker, calls: number): Promise<{ place: number; find: number }> {
  let start = performance.now();
  for (let i = 0; i < calls; i++) await b.placeOrder(request);
  const place = ((performance.now() - start) * 1e6) / calls;
  start = performance.now();
  for (let i = 0; i < calls; i++) await b.findOrder('c1');
  const find = ((performance.now() - start) * 1e6) / calls;
  return { place, find };
}

await runBench(async () => {
  const startedAt = new Date();
  const resilience = createResilience(DEFAULT_CONFIG, systemClock, silentLogger);
  const wrapped = resilience.wrap(instant);
  const app = Fastify();
  const detach = resilience.attach(app, { metrics: new Metrics(), securityEvents: nullSecurityEvents });
  const calls = Number(process.argv[2] ?? '200000');
  type Cost = { place: number; find: number };
  const variants: Record<'bare' | 'timerOnly' | 'wrapped', Broker> = {
    bare: instant,
    timerOnly: timerOnly(instant),
    wrapped,
  };
  const runs: Record<keyof typeof variants, Cost[]> = { bare: [], timerOnly: [], wrapped: [] };
  // Warm every path up (JIT), then measure each three times, interleaved, and keep the best run.
  for (const b of Object.values(variants)) await perCallNs(b, 20_000);
  for (let r = 0; r < 3; r++) {
    for (const [name, b] of Object.entries(variants))
      runs[name as keyof typeof variants].push(await perCallNs(b, calls));
  }
  const best = (xs: Cost[]): Cost => ({
    place: Math.min(...xs.map((x) => x.place)),
    find: Math.min(...xs.map((x) => x.find)),
  });
  const bare = best(runs.bare);
  const timer = best(runs.timerOnly);
  const full = best(runs.wrapped);
  const report = {
    calls,
    bareNs: bare,
    timerOnlyNs: timer,
    wrappedNs: full,
    overheadNs: { place: full.place - bare.place, find: full.find - bare.find },
    overheadOverTimerNs: { place: full.place - timer.place, find: full.find - timer.find },
  };
  const line = (op: 'place' | 'find', label: string): string =>
    `  ${label}: bare ${bare[op].toFixed(0)} ns, timer only ${timer[op].toFixed(0)} ns, wrapped ` +
    `${full[op].toFixed(0)} ns -> overhead ${report.overheadNs[op].toFixed(0)} ns per call ` +
    `(${report.overheadOverTimerNs[op].toFixed(0)} ns over a bare timeout)\n`;
  process.stdout.write(
    `resilience wrapper (timeout + circuit breaker + latency histogram), ${String(calls)} calls per run, best of 3:\n` +
      line('place', 'placeOrder') +
      line('find', 'findOrder '),
  );
  detach();
  await app.close();
  await writeReport('resilience', startedAt, report);
  return 0;
});
