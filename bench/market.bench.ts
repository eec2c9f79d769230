// Market simulator and instrument master costs: how long one market step takes per underlying and how long
// the instrument master takes to build (the figures the tests used to assert with timers).
import { performance } from 'node:perf_hooks';
import { runBench, writeReport } from './report.js';
import { MarketSimulator } from '../src/brokers/paper/market/market-simulator.js';
import { BundledInstruments, buildInstrumentMaster } from '../src/domain/instruments/index.js';
import { istEpoch } from '../src/domain/market-calendar.js';
import type { Clock } from '../src/ports/clock.js';

const DATE = '2026-02-25';

function stepCost(): { underlyings: number; stepUsPerUnderlying: number; stepUsFor150: number } {
  const instruments = BundledInstruments.forDate(DATE);
  const clock: Clock = { now: () => istEpoch(DATE, '10:00'), every: () => () => undefined };
  const sim = new MarketSimulator({ seed: 21, instruments, clock });
  sim.onQuote(() => undefined);
  let t = istEpoch(DATE, '10:00');
  for (let i = 0; i < 200; i++) sim.step((t += 1000));
  const steps = 5_000;
  const start = performance.now();
  for (let i = 0; i < steps; i++) sim.step((t += 1000));
  const underlyings = instruments.list().filter((i) => i.expiry === null).length;
  const perUnderlyingMs = (performance.now() - start) / steps / underlyings;
  return {
    underlyings,
    stepUsPerUnderlying: perUnderlyingMs * 1000,
    stepUsFor150: perUnderlyingMs * 150 * 1000,
  };
}

function masterBuildMs(): { rows: number; ms: number } {
  buildInstrumentMaster('2026-06-15');
  const start = performance.now();
  const rows = buildInstrumentMaster('2026-06-15').length;
  return { rows, ms: performance.now() - start };
}

await runBench(async () => {
  const startedAt = new Date();
  const report = { step: stepCost(), master: masterBuildMs() };
  process.stdout.write(
    `market step: ${report.step.stepUsPerUnderlying.toFixed(2)} µs per underlying ` +
      `(${report.step.stepUsFor150.toFixed(1)} µs for 150); instrument master: ` +
      `${String(report.master.rows)} rows in ${report.master.ms.toFixed(1)} ms\n`,
  );
  await writeReport('market', startedAt, report);
  return 0;
});
