import { describe, expect, it } from 'vitest';
import { BundledInstruments, buildInstrumentMaster } from '../../../domain/instruments/index.js';
import { MarketSimulator } from './market-simulator.js';

// Sunday 22 Nov 2026, 02:00 IST: NSE is closed.
const SUNDAY_NIGHT = Date.UTC(2026, 10, 21, 20, 30, 0);
const instruments = new BundledInstruments(buildInstrumentMaster('2026-11-22'));

function pricesOver(continuous: boolean): number[] {
  let now = SUNDAY_NIGHT;
  const sim = new MarketSimulator({
    seed: 7,
    instruments,
    clock: { now: () => now, every: () => () => undefined },
    continuous,
  });
  const seen: number[] = [];
  for (let i = 0; i < 120; i++) {
    now = SUNDAY_NIGHT + i * 1000;
    sim.step(now);
    seen.push(sim.quote('NSE', 'SBIN')!.ltp);
  }
  return seen;
}

describe('the always-open paper market', () => {
  it('keeps moving at night and on weekends', () => {
    expect(new Set(pricesOver(true)).size).toBeGreaterThan(5);
  });

  it('stands still outside exchange sessions when sessions follow the exchange', () => {
    expect(new Set(pricesOver(false)).size).toBe(1);
  });
});
