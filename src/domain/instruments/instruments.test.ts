import { describe, expect, it } from 'vitest';
import { fixed } from '../decimal.js';
import type { Instrument } from '../instrument.js';
import { weekday } from '../market-calendar.js';
import { parseDerivativeSymbol } from '../symbology.js';
import {
  BundledInstruments,
  buildInstrumentMaster,
  monthlyExpiries,
  monthlyExpiry,
  referencePrice,
  underlyingProfile,
  weeklyExpiries,
} from './index.js';

const TODAY = '2026-02-25';
const master = buildInstrumentMaster(TODAY);
const repo = new BundledInstruments(master);

function expiriesOf(underlying: string, type: Instrument['instrumentType']): string[] {
  const set = new Set(
    master.filter((i) => i.underlying === underlying && i.instrumentType === type).map((i) => i.expiry),
  );
  return [...set].filter((e): e is string => e !== null).sort();
}

describe('expiry rules (2026)', () => {
  it('puts NSE monthly expiries on the last Tuesday and BSE ones on the last Thursday', () => {
    expect(monthlyExpiry('NFO', 2026, 2)).toBe('2026-02-24');
    expect(monthlyExpiry('NFO', 2026, 4)).toBe('2026-04-28');
    expect(monthlyExpiry('BFO', 2026, 2)).toBe('2026-02-26');
    expect(monthlyExpiry('BFO', 2026, 4)).toBe('2026-04-30');
  });

  it('moves an expiry that falls on a holiday to the previous trading day', () => {
    expect(monthlyExpiry('NFO', 2026, 3)).toBe('2026-03-30');
    expect(monthlyExpiry('BFO', 2026, 3)).toBe('2026-03-25');
    expect(weeklyExpiries('NFO', '2026-02-25', 1)).toEqual(['2026-03-02']);
    expect(weeklyExpiries('BFO', '2026-01-12', 1)).toEqual(['2026-01-14']);
    expect(weeklyExpiries('NFO', '2025-10-15', 2)).toEqual(['2025-10-20', '2025-10-28']);
  });

  it('still lists a contract on its expiry day and drops it the day after', () => {
    expect(weeklyExpiries('NFO', '2026-03-10', 1)).toEqual(['2026-03-10']);
    expect(weeklyExpiries('NFO', '2026-03-11', 1)).toEqual(['2026-03-17']);
    expect(monthlyExpiries('NFO', '2026-02-24', 2)).toEqual(['2026-02-24', '2026-03-30']);
    expect(monthlyExpiries('NFO', '2026-02-25', 2)).toEqual(['2026-03-30', '2026-04-28']);
  });
});

describe('buildInstrumentMaster', () => {
  it('lists the NIFTY 50 stocks on NSE and BSE and the main indices', () => {
    expect(repo.list('NSE')).toHaveLength(50);
    expect(repo.list('BSE')).toHaveLength(50);
    for (const s of ['SBIN', 'RELIANCE', 'M&M', 'BAJAJ-AUTO', 'HDFCBANK', 'TMPV']) {
      expect(repo.get('NSE', s)?.instrumentType).toBe('EQ');
      expect(repo.get('BSE', s)?.instrumentType).toBe('EQ');
    }
    for (const s of ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'NIFTYNXT50', 'INDIAVIX', 'NIFTYIT']) {
      expect(repo.get('NSE_INDEX', s)?.instrumentType).toBe('INDEX');
    }
    for (const s of ['SENSEX', 'BANKEX', 'SENSEX50'])
      expect(repo.get('BSE_INDEX', s)?.instrumentType).toBe('INDEX');
  });

  it('gives every row a unique symbol and token within its exchange', () => {
    for (const exchange of ['NSE', 'BSE', 'NFO', 'BFO', 'NSE_INDEX', 'BSE_INDEX'] as const) {
      const rows = repo.list(exchange);
      expect(new Set(rows.map((r) => r.symbol)).size).toBe(rows.length);
      expect(new Set(rows.map((r) => r.token)).size).toBe(rows.length);
      for (const r of rows) expect(r.token).toMatch(/^[1-9]\d*$/);
    }
  });

  it('lists futures for two months and options for weekly and monthly expiries', () => {
    expect(expiriesOf('NIFTY', 'FUT')).toEqual(['2026-03-30', '2026-04-28']);
    expect(expiriesOf('NIFTY', 'CE')).toEqual(['2026-03-02', '2026-03-10', '2026-03-30', '2026-04-28']);
    expect(expiriesOf('SENSEX', 'PE')).toEqual(['2026-02-26', '2026-03-05', '2026-03-25']);
    expect(expiriesOf('BANKNIFTY', 'CE')).toEqual(['2026-03-30', '2026-04-28']);
    expect(expiriesOf('RELIANCE', 'FUT')).toEqual(['2026-03-30', '2026-04-28']);
    expect(repo.get('BFO', 'BANKEX26MAR26FUT')).toBeNull();
    expect(repo.get('BFO', 'BANKEX25MAR26FUT')?.lotSize).toBe(30);
  });

  it('writes symbols that parse back to the row', () => {
    for (const r of master) {
      if (r.expiry === null) continue;
      const p = parseDerivativeSymbol(r.symbol);
      expect(p).toEqual({ base: r.underlying, expiry: r.expiry, kind: r.instrumentType, strike: r.strike });
    }
  });

  it('expires NSE contracts on Tuesdays and BSE contracts on Thursdays unless a holiday moved them', () => {
    for (const r of master) {
      if (r.expiry === null) continue;
      const expected = r.exchange === 'NFO' ? 2 : 4;
      const shifted = ['2026-03-02', '2026-03-25', '2026-03-30'].includes(r.expiry);
      if (!shifted) expect(weekday(r.expiry), r.symbol).toBe(expected);
    }
  });

  it('uses the 2026 index lot sizes and freeze limits', () => {
    const lot = (ex: 'NFO' | 'BFO', u: string) => master.find((r) => r.exchange === ex && r.underlying === u);
    expect(lot('NFO', 'NIFTY')).toMatchObject({ lotSize: 65, freezeQty: 1800 });
    expect(lot('NFO', 'BANKNIFTY')).toMatchObject({ lotSize: 30, freezeQty: 900 });
    expect(lot('NFO', 'FINNIFTY')?.lotSize).toBe(60);
    expect(lot('NFO', 'MIDCPNIFTY')?.lotSize).toBe(120);
    expect(lot('NFO', 'NIFTYNXT50')?.lotSize).toBe(25);
    expect(lot('BFO', 'SENSEX')?.lotSize).toBe(20);
    expect(lot('BFO', 'BANKEX')?.lotSize).toBe(30);
    expect(lot('NFO', 'RELIANCE')?.lotSize).toBe(500);
  });

  it('centres NIFTY strikes on its reference level, 50 apart, 40 each side', () => {
    const strikes = master
      .filter((r) => r.symbol.startsWith('NIFTY30MAR26') && r.instrumentType === 'CE')
      .map((r) => r.strike ?? 0);
    expect(strikes).toHaveLength(81);
    expect(Math.min(...strikes)).toBe(fixed(23_800));
    expect(Math.max(...strikes)).toBe(fixed(27_800));
    expect(strikes.every((k) => k % fixed(50) === 0)).toBe(true);
  });

  it('ticks cheap shares in 0.01 and options in 0.05', () => {
    expect(repo.get('NSE', 'TATASTEEL')?.tickSize).toBe(fixed(0.01));
    expect(repo.get('NSE', 'RELIANCE')?.tickSize).toBe(fixed(0.05));
    expect(master.filter((r) => r.instrumentType === 'CE').every((r) => r.tickSize === fixed(0.05))).toBe(
      true,
    );
  });

  it('keeps the same token for a contract whatever the build date', () => {
    const later = new BundledInstruments(buildInstrumentMaster('2026-03-05'));
    for (const symbol of ['NIFTY30MAR2625800CE', 'NIFTY30MAR26FUT', 'RELIANCE28APR261500PE']) {
      const a = repo.get('NFO', symbol);
      expect(a, symbol).not.toBeNull();
      expect(later.get('NFO', symbol)?.token).toBe(a?.token);
    }
  });

  it('stays small', () => {
    const rows = buildInstrumentMaster('2026-06-15');
    expect(rows.length).toBeGreaterThan(5_000);
    expect(rows.length).toBeLessThan(50_000);
  });

  it('rejects a malformed date', () => {
    expect(() => buildInstrumentMaster('2026-2-5')).toThrow(RangeError);
  });
});

describe('BundledInstruments', () => {
  it('looks up by exchange and symbol and lists by exchange', () => {
    expect(repo.get('NFO', 'NIFTY30MAR2625800CE')?.strike).toBe(fixed(25_800));
    expect(repo.get('NSE', 'NIFTY30MAR2625800CE')).toBeNull();
    expect(repo.get('NSE', 'UNKNOWN')).toBeNull();
    expect(repo.list()).toHaveLength(master.length);
    expect(repo.list('MCX')).toEqual([]);
  });

  it('refuses duplicate rows', () => {
    const row = repo.get('NSE', 'SBIN');
    expect(row).not.toBeNull();
    if (row) expect(() => new BundledInstruments([row, row])).toThrow(/duplicate/);
  });
});

describe('reference prices', () => {
  it('gives derivatives the reference price of their underlying', () => {
    const option = repo.get('NFO', 'NIFTY30MAR2625800CE');
    expect(option && referencePrice(option)).toBe(fixed(25_800));
    const stock = repo.get('BSE', 'RELIANCE');
    expect(stock && referencePrice(stock)).toBe(fixed(1500));
    expect(underlyingProfile('NSE_INDEX', 'INDIAVIX')?.annualVol).toBeGreaterThan(0.5);
    expect(underlyingProfile('NSE', 'NOPE')).toBeNull();
  });
});
