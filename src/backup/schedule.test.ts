import { describe, expect, it } from 'vitest';
import { latestSlot, parseSchedule, slotKey } from '../domain/schedule.js';
import { silentLogger } from '../ports/logger.js';
import { JobScheduler, type Claim } from './schedule.js';

/** A clock whose time the test sets; `every` is never used by tick(). */
class TestClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  every(): () => void {
    return () => undefined;
  }
}

const ist = (s: string): number => Date.parse(`${s}+05:30`);

describe('backup schedule', () => {
  it('parses daily HH:MM, every Nh and off, and explains bad values', () => {
    expect(parseSchedule('daily 02:30')).toEqual({ kind: 'daily', minuteOfDay: 150 });
    expect(parseSchedule('every 6h')).toEqual({ kind: 'every', hours: 6 });
    expect(parseSchedule('off')).toBeNull();
    expect(parseSchedule('daily 25:00')).toMatch(/bad time/);
    expect(parseSchedule('every 5h')).toMatch(/must divide 24/);
    expect(parseSchedule('0 2 * * *')).toMatch(/not a schedule/);
  });

  it('finds the latest IST slot', () => {
    const daily = { kind: 'daily', minuteOfDay: 150 } as const;
    expect(slotKey(latestSlot(daily, ist('2026-12-04T02:29:59')))).toBe('2026-12-03T02:30+05:30');
    expect(slotKey(latestSlot(daily, ist('2026-12-04T02:30:00')))).toBe('2026-12-04T02:30+05:30');
    expect(slotKey(latestSlot({ kind: 'every', hours: 6 }, ist('2026-12-04T13:05:00')))).toBe(
      '2026-12-04T12:00+05:30',
    );
  });

  it('runs each slot once per instance, once across instances with a shared claim, and not late', async () => {
    const clock = new TestClock(ist('2026-12-04T02:30:10'));
    const claimed = new Set<string>();
    const claim: Claim = (job, slot) => {
      const k = `${job}@${slot}`;
      if (claimed.has(k)) return Promise.resolve(false);
      claimed.add(k);
      return Promise.resolve(true);
    };
    const runs: string[] = [];
    const make = (who: string) =>
      new JobScheduler(
        clock,
        [
          {
            name: 'backup',
            schedule: { kind: 'daily', minuteOfDay: 150 },
            run: (slot) => {
              runs.push(`${who} ${slotKey(slot)}`);
              return Promise.resolve();
            },
          },
        ],
        silentLogger,
        claim,
      );
    const a = make('a');
    const b = make('b');
    await Promise.all([a.tick(), b.tick(), a.tick()]);
    clock.t += 60_000;
    await Promise.all([a.tick(), b.tick()]);
    expect(runs).toEqual(['a 2026-12-04T02:30+05:30']);
    // Next day: an instance that was down at 02:30 and comes back at 03:00 does not run a stale slot.
    clock.t = ist('2026-12-05T03:00:00');
    await b.tick();
    expect(runs).toHaveLength(1);
    clock.t = ist('2026-12-06T02:31:00');
    await Promise.all([b.tick(), a.tick()]);
    expect(runs).toEqual(['a 2026-12-04T02:30+05:30', 'b 2026-12-06T02:30+05:30']);
  });

  it('keeps running after a failed job and logs instead of throwing', async () => {
    const clock = new TestClock(ist('2026-12-04T02:00:30'));
    let calls = 0;
    const s = new JobScheduler(
      clock,
      [
        {
          name: 'backup',
          schedule: { kind: 'every', hours: 1 },
          run: () => {
            calls++;
            return Promise.reject(new Error('disk full'));
          },
        },
      ],
      silentLogger,
    );
    await s.tick();
    clock.t = ist('2026-12-04T03:00:05');
    await s.tick();
    expect(calls).toBe(2);
  });
});
