import { describe, expect, it } from 'vitest';
import { formatFixed, isOnTick, mulDiv, parseFixed, roundDiv, toNumber } from './decimal.js';

describe('fixed-point prices', () => {
  it('parses decimal strings and JSON numbers exactly', () => {
    expect(parseFixed('100.05')).toBe(1_000_500);
    expect(parseFixed(100.05)).toBe(1_000_500);
    expect(parseFixed(0.1 + 0.2)).toBeNull(); // 0.30000000000000004 has more than 4 decimals
    expect(parseFixed('0.3')).toBe(3000);
    expect(parseFixed('-12.5')).toBe(-125_000);
    expect(parseFixed('10.50000')).toBe(105_000);
  });

  it('rejects what is not a plain decimal', () => {
    for (const bad of ['abc', '1e5', '', '1.00001', 'NaN', '0x10']) expect(parseFixed(bad)).toBeNull();
    expect(parseFixed(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('rounds half away from zero only at division', () => {
    expect(roundDiv(5, 2)).toBe(3);
    expect(roundDiv(-5, 2)).toBe(-3);
    expect(roundDiv(4, 3)).toBe(1);
    expect(mulDiv(1_000_000, 1, 3)).toBe(333_333);
  });

  it('formats money with two decimals as OpenAlgo funds do', () => {
    expect(formatFixed(100_000_000_000)).toBe('10000000.00');
    expect(formatFixed(12_345)).toBe('1.23');
    expect(formatFixed(-12_355)).toBe('-1.24');
    expect(toNumber(1_000_500)).toBe(100.05);
  });

  it('checks tick multiples without floats', () => {
    expect(isOnTick(1_000_500, 500)).toBe(true);
    expect(isOnTick(1_000_300, 500)).toBe(false);
  });
});
