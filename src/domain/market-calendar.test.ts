import { describe, expect, it } from 'vitest';
import {
  holidayOn,
  holidays,
  isOpen,
  isTradingDay,
  istDate,
  istEpoch,
  misSquareOffAt,
  nextTradingDay,
  previousTradingDay,
  sessionFor,
} from './market-calendar.js';

const MIN = 60_000;

describe('IST dates and times', () => {
  it('maps an instant to its IST calendar date', () => {
    expect(istDate(Date.UTC(2026, 1, 25, 18, 29))).toBe('2026-02-25');
    expect(istDate(Date.UTC(2026, 1, 25, 18, 30))).toBe('2026-02-26');
  });

  it('turns an IST wall-clock time into epoch ms', () => {
    expect(istEpoch('2026-02-25', '09:15')).toBe(Date.UTC(2026, 1, 25, 3, 45));
    expect(istEpoch('2026-02-25', '24:00')).toBe(Date.UTC(2026, 1, 25, 18, 30));
  });
});

describe('sessions', () => {
  it('opens NSE, BSE and their derivative and index segments 09:15-15:30 on a weekday', () => {
    for (const ex of ['NSE', 'BSE', 'NFO', 'BFO', 'NSE_INDEX', 'BSE_INDEX'] as const) {
      expect(sessionFor(ex, '2026-02-25')).toEqual({
        open: istEpoch('2026-02-25', '09:15'),
        close: istEpoch('2026-02-25', '15:30'),
      });
    }
  });

  it('opens currency derivatives 09:00-17:00', () => {
    expect(sessionFor('CDS', '2026-02-25')).toEqual({
      open: istEpoch('2026-02-25', '09:00'),
      close: istEpoch('2026-02-25', '17:00'),
    });
  });

  it('closes MCX at 23:55 in US winter and 23:30 in US summer', () => {
    expect(sessionFor('MCX', '2026-01-12')?.close).toBe(istEpoch('2026-01-12', '23:55'));
    expect(sessionFor('MCX', '2026-03-06')?.close).toBe(istEpoch('2026-03-06', '23:55'));
    expect(sessionFor('MCX', '2026-03-09')?.close).toBe(istEpoch('2026-03-09', '23:30'));
    expect(sessionFor('MCX', '2026-06-10')?.close).toBe(istEpoch('2026-06-10', '23:30'));
    expect(sessionFor('MCX', '2026-11-02')?.close).toBe(istEpoch('2026-11-02', '23:55'));
  });

  it('is closed on weekends and trading holidays', () => {
    expect(sessionFor('NSE', '2026-02-28')).toBeNull();
    expect(sessionFor('NSE', '2026-03-01')).toBeNull();
    expect(sessionFor('NSE', '2026-01-26')).toBeNull();
    expect(sessionFor('BFO', '2026-01-15')).toBeNull();
    expect(sessionFor('CDS', '2025-12-25')).toBeNull();
    expect(isTradingDay('NSE_INDEX', '2026-03-03')).toBe(false);
  });

  it('keeps the MCX evening session on festival holidays but not on national ones', () => {
    expect(sessionFor('MCX', '2026-03-03')).toEqual({
      open: istEpoch('2026-03-03', '17:00'),
      close: istEpoch('2026-03-03', '23:55'),
    });
    expect(sessionFor('MCX', '2026-01-26')).toBeNull();
    expect(sessionFor('MCX', '2026-04-03')).toBeNull();
  });

  it('holds the special Budget and Muhurat sessions', () => {
    expect(sessionFor('NSE', '2026-02-01')).toEqual({
      open: istEpoch('2026-02-01', '09:15'),
      close: istEpoch('2026-02-01', '15:30'),
    });
    expect(sessionFor('NFO', '2025-02-01')).not.toBeNull();
    expect(sessionFor('NSE', '2025-10-21')).toEqual({
      open: istEpoch('2025-10-21', '13:45'),
      close: istEpoch('2025-10-21', '14:45'),
    });
    expect(holidayOn('2025-10-21')).toBe('Diwali Laxmi Pujan');
  });

  it('trades crypto every day and around the clock', () => {
    expect(sessionFor('CRYPTO', '2026-02-28')).toEqual({
      open: istEpoch('2026-02-28', '00:00'),
      close: istEpoch('2026-03-01', '00:00'),
    });
  });

  it('treats the open as inclusive and the close as exclusive', () => {
    const open = istEpoch('2026-02-25', '09:15');
    const close = istEpoch('2026-02-25', '15:30');
    expect(isOpen('NSE', open - 1)).toBe(false);
    expect(isOpen('NSE', open)).toBe(true);
    expect(isOpen('NSE', close - 1)).toBe(true);
    expect(isOpen('NSE', close)).toBe(false);
    expect(isOpen('MCX', istEpoch('2026-02-25', '21:00'))).toBe(true);
  });
});

describe('trading-day navigation', () => {
  it('skips weekends and holidays backwards and forwards', () => {
    expect(previousTradingDay('NSE', '2026-01-27')).toBe('2026-01-23');
    expect(nextTradingDay('NSE', '2026-01-23')).toBe('2026-01-27');
    expect(previousTradingDay('NSE', '2026-03-04')).toBe('2026-03-02');
    expect(nextTradingDay('BSE', '2026-01-14')).toBe('2026-01-16');
  });

  it('counts the Budget Sunday as a trading day', () => {
    expect(nextTradingDay('NSE', '2026-01-30')).toBe('2026-02-01');
    expect(previousTradingDay('NSE', '2026-02-02')).toBe('2026-02-01');
  });
});

describe('MIS square-off', () => {
  it('is 15:15 for equity, 16:45 for currency and 25 minutes before the MCX close', () => {
    expect(misSquareOffAt('NFO', '2026-02-25')).toBe(istEpoch('2026-02-25', '15:15'));
    expect(misSquareOffAt('BSE', '2026-02-25')).toBe(istEpoch('2026-02-25', '15:15'));
    expect(misSquareOffAt('CDS', '2026-02-25')).toBe(istEpoch('2026-02-25', '16:45'));
    expect(misSquareOffAt('MCX', '2026-02-25')).toBe(istEpoch('2026-02-25', '23:30'));
    expect(misSquareOffAt('MCX', '2026-06-10')).toBe(istEpoch('2026-06-10', '23:05'));
  });

  it('falls before the close of a short session and is absent on closed days', () => {
    expect(misSquareOffAt('NSE', '2025-10-21')).toBe(istEpoch('2025-10-21', '14:45') - 15 * MIN);
    expect(misSquareOffAt('NSE', '2026-01-26')).toBeNull();
    expect(misSquareOffAt('CRYPTO', '2026-01-26')).toBeNull();
  });
});

describe('holiday list', () => {
  it('lists the 2026 NSE holidays including the election closure', () => {
    const rows = holidays(2026);
    expect(rows).toHaveLength(16);
    expect(rows.map((r) => r.date)).toContain('2026-01-15');
    expect(new Set(rows.map((r) => r.holidayType))).toEqual(new Set(['TRADING_HOLIDAY']));
    expect(holidays(2025)).toHaveLength(14);
    expect(holidays(2030)).toEqual([]);
  });

  it('reports MCX as open in the evening on festival holidays and closed on national ones', () => {
    const holi = holidays(2026).find((r) => r.date === '2026-03-03');
    expect(holi?.closedExchanges).toEqual(['NSE', 'BSE', 'NFO', 'BFO', 'CDS', 'BCD']);
    expect(holi?.openExchanges).toEqual([
      { exchange: 'MCX', start: istEpoch('2026-03-03', '17:00'), end: istEpoch('2026-03-03', '23:55') },
    ]);
    const republic = holidays(2026).find((r) => r.date === '2026-01-26');
    expect(republic?.closedExchanges).toContain('MCX');
    expect(republic?.openExchanges).toEqual([]);
  });
});
