// Expiry dates of exchange-traded derivatives under the rules in force in 2026.
//
// Since SEBI's 2025 changes, NSE equity derivatives expire on Tuesdays (NIFTY weekly every Tuesday, monthly
// contracts on the last Tuesday of the month) and BSE's on Thursdays (SENSEX weekly, monthly on the last
// Thursday). An expiry that falls on a trading holiday moves to the previous trading day.
import { addDays, holidayOn, isTradingDay, weekday } from '../market-calendar.js';

export type ExpiryVenue = 'NFO' | 'BFO';

const EXPIRY_WEEKDAY: Readonly<Record<ExpiryVenue, number>> = { NFO: 2, BFO: 4 };

/** Moves a scheduled expiry back to the nearest earlier day with a full session. */
export function adjustForHolidays(venue: ExpiryVenue, scheduledIso: string): string {
  let d = scheduledIso;
  // A holiday with a special short session (Muhurat) still moves the expiry.
  while (!isTradingDay(venue, d) || holidayOn(d) !== null) d = addDays(d, -1);
  return d;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** The monthly expiry of a contract month (`month` 1-12). */
export function monthlyExpiry(venue: ExpiryVenue, year: number, month: number): string {
  const nextMonth = month === 12 ? `${year + 1}-01-01` : `${year}-${pad2(month + 1)}-01`;
  const lastDay = addDays(nextMonth, -1);
  const back = (weekday(lastDay) - EXPIRY_WEEKDAY[venue] + 7) % 7;
  return adjustForHolidays(venue, addDays(lastDay, -back));
}

/** The next `count` monthly expiries on or after `todayIso` (a contract still trades on its expiry day). */
export function monthlyExpiries(venue: ExpiryVenue, todayIso: string, count: number): string[] {
  const out: string[] = [];
  let year = Number(todayIso.slice(0, 4));
  let month = Number(todayIso.slice(5, 7));
  while (out.length < count) {
    const e = monthlyExpiry(venue, year, month);
    if (e >= todayIso) out.push(e);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return out;
}

/** The next `count` weekly expiries on or after `todayIso` (monthly expiry days included). */
export function weeklyExpiries(venue: ExpiryVenue, todayIso: string, count: number): string[] {
  const out: string[] = [];
  // Holiday shifts only move an expiry earlier, so scanning from this week's scheduled day misses nothing.
  let scheduled = addDays(todayIso, (EXPIRY_WEEKDAY[venue] - weekday(todayIso) + 7) % 7);
  while (out.length < count) {
    const e = adjustForHolidays(venue, scheduled);
    if (e >= todayIso) out.push(e);
    scheduled = addDays(scheduled, 7);
  }
  return out;
}
