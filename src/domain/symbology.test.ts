import { describe, expect, it } from 'vitest';
import { fixed } from './decimal.js';
import {
  formatExpiryCompact,
  formatExpiryDashed,
  formatFutureSymbol,
  formatOptionSymbol,
  formatStrike,
  isDerivativeSymbol,
  parseDerivativeSymbol,
  parseExpiry,
  parseExpiryCompact,
  parseExpiryDashed,
} from './symbology.js';

describe('expiry spellings', () => {
  it('formats an ISO expiry in the request and master forms', () => {
    expect(formatExpiryCompact('2026-08-25')).toBe('25AUG26');
    expect(formatExpiryDashed('2026-08-25')).toBe('25-AUG-26');
    expect(formatExpiryCompact('2025-01-02')).toBe('02JAN25');
  });

  it('parses both forms back to ISO, case-insensitively', () => {
    expect(parseExpiryCompact('25AUG26')).toBe('2026-08-25');
    expect(parseExpiryCompact('25aug26')).toBe('2026-08-25');
    expect(parseExpiryDashed('25-AUG-26')).toBe('2026-08-25');
    expect(parseExpiry('25-Aug-26')).toBe('2026-08-25');
    expect(parseExpiry('2026-08-25')).toBe('2026-08-25');
  });

  it('rejects impossible dates and other spellings', () => {
    expect(parseExpiryCompact('31FEB25')).toBeNull();
    expect(parseExpiryCompact('29FEB25')).toBeNull();
    expect(parseExpiryCompact('29FEB28')).toBe('2028-02-29');
    expect(parseExpiryCompact('25-AUG-26')).toBeNull();
    expect(parseExpiryDashed('25AUG26')).toBeNull();
    expect(parseExpiry('2026-02-30')).toBeNull();
    expect(parseExpiry('25AUGUST26')).toBeNull();
  });

  it('refuses to format a malformed ISO date', () => {
    expect(() => formatExpiryCompact('2026-2-5')).toThrow(RangeError);
    expect(() => formatExpiryDashed('2026-02-30')).toThrow(RangeError);
  });
});

describe('formatting symbols', () => {
  it('writes futures as BASE + DDMMMYY + FUT', () => {
    expect(formatFutureSymbol('NIFTY', '2025-01-30')).toBe('NIFTY30JAN25FUT');
    expect(formatFutureSymbol('USDINR', '2025-01-27')).toBe('USDINR27JAN25FUT');
  });

  it('writes options with the strike and no trailing zeros', () => {
    expect(formatOptionSymbol('NIFTY', '2024-03-28', fixed(20800), 'CE')).toBe('NIFTY28MAR2420800CE');
    expect(formatOptionSymbol('VEDL', '2025-04-24', fixed(292.5), 'CE')).toBe('VEDL24APR25292.5CE');
    expect(formatOptionSymbol('USDINR', '2025-01-27', fixed(83.5), 'PE')).toBe('USDINR27JAN2583.5PE');
    expect(formatStrike(fixed(83.25))).toBe('83.25');
    expect(formatStrike(fixed(0.05))).toBe('0.05');
  });

  it('rejects a zero or negative strike', () => {
    expect(() => formatStrike(0)).toThrow(RangeError);
    expect(() => formatStrike(-500)).toThrow(RangeError);
  });
});

describe('parsing symbols', () => {
  it('takes a future apart', () => {
    expect(parseDerivativeSymbol('NIFTY30JAN25FUT')).toEqual({
      base: 'NIFTY',
      expiry: '2025-01-30',
      kind: 'FUT',
      strike: null,
    });
  });

  it('takes options apart, fractional strikes included', () => {
    expect(parseDerivativeSymbol('NIFTY28MAR2420800CE')).toEqual({
      base: 'NIFTY',
      expiry: '2024-03-28',
      kind: 'CE',
      strike: fixed(20800),
    });
    expect(parseDerivativeSymbol('VEDL24APR25292.5CE')?.strike).toBe(fixed(292.5));
    expect(parseDerivativeSymbol('USDINR27JAN2583.5PE')).toMatchObject({ base: 'USDINR', kind: 'PE' });
  });

  it('keeps bases that end in digits or carry special characters whole', () => {
    expect(parseDerivativeSymbol('NIFTYNXT5028MAR2470000PE')).toMatchObject({
      base: 'NIFTYNXT50',
      expiry: '2024-03-28',
      strike: fixed(70000),
    });
    expect(parseDerivativeSymbol('NIFTYNXT5030JAN25FUT')?.base).toBe('NIFTYNXT50');
    expect(parseDerivativeSymbol('M&M30MAR263700CE')?.base).toBe('M&M');
    expect(parseDerivativeSymbol('BAJAJ-AUTO30MAR26FUT')?.base).toBe('BAJAJ-AUTO');
  });

  it('returns null for equities, indices and malformed symbols', () => {
    for (const s of [
      'SBIN',
      'M&M',
      'NIFTY',
      'NIFTYNXT50',
      'BSEOIL&GAS',
      'NIFTY31FEB25FUT',
      'NIFTY30JAN25',
      '30JAN25FUT',
    ]) {
      expect(parseDerivativeSymbol(s), s).toBeNull();
      expect(isDerivativeSymbol(s)).toBe(false);
    }
  });

  it('accepts only the canonical strike spelling', () => {
    expect(parseDerivativeSymbol('VEDL24APR25292.50CE')).toBeNull();
    expect(parseDerivativeSymbol('VEDL24APR25292.CE')).toBeNull();
    expect(parseDerivativeSymbol('NIFTY28MAR24020800CE')).toBeNull();
    expect(parseDerivativeSymbol('NIFTY28MAR240CE')).toBeNull();
  });

  it('round-trips what it formats', () => {
    const cases = [
      formatFutureSymbol('BANKNIFTY', '2025-02-27'),
      formatOptionSymbol('BANKNIFTY', '2025-02-27', fixed(48000), 'PE'),
      formatOptionSymbol('NIFTYNXT50', '2026-03-30', fixed(69500), 'CE'),
      formatOptionSymbol('TATASTEEL', '2026-03-30', fixed(172.5), 'PE'),
    ];
    for (const symbol of cases) {
      const p = parseDerivativeSymbol(symbol);
      expect(p).not.toBeNull();
      if (!p) continue;
      const again =
        p.kind === 'FUT'
          ? formatFutureSymbol(p.base, p.expiry)
          : formatOptionSymbol(p.base, p.expiry, p.strike ?? 0, p.kind);
      expect(again).toBe(symbol);
    }
  });
});
