import { describe, expect, it } from 'vitest';
import { selectRetained } from './retention.js';

/** A backup made at IST wall-clock `ist` (YYYY-MM-DDTHH:MM). */
const at = (ist: string) => ({ name: ist, createdAt: new Date(`${ist}:00+05:30`) });

describe('backup retention', () => {
  // Two backups a day (02:30 and 14:30 IST) from Mon 2 Nov to Fri 4 Dec 2026: five weeks and a bit.
  const all: { name: string; createdAt: Date }[] = [];
  for (
    let d = new Date('2026-11-02T00:00:00Z');
    d <= new Date('2026-12-04T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + 1)
  ) {
    const day = d.toISOString().slice(0, 10);
    all.push(at(`${day}T02:30`), at(`${day}T14:30`));
  }

  it('keeps the newest backup of each of the last N days and of each of the last M ISO weeks', () => {
    const { keep, remove } = selectRetained(all, 3, 3);
    expect(keep.map((b) => b.name)).toEqual([
      '2026-12-04T14:30', // Fri: daily 1, week 49
      '2026-12-03T14:30', // daily 2
      '2026-12-02T14:30', // daily 3
      '2026-11-29T14:30', // Sun: newest of week 48
      '2026-11-22T14:30', // Sun: newest of week 47
    ]);
    expect(keep.length + remove.length).toBe(all.length);
  });

  it('uses IST days: 00:10 IST on the 4th belongs to the 4th even though it is the 3rd in UTC', () => {
    const bs = [at('2026-12-04T00:10'), at('2026-12-03T23:50'), at('2026-12-03T10:00')];
    expect(selectRetained(bs, 2, 0).keep.map((b) => b.name)).toEqual([
      '2026-12-04T00:10',
      '2026-12-03T23:50',
    ]);
  });

  it('always keeps the newest backup, even with zero retention', () => {
    expect(selectRetained(all, 0, 0).keep.map((b) => b.name)).toEqual(['2026-12-04T14:30']);
    expect(selectRetained([], 7, 4)).toEqual({ keep: [], remove: [] });
  });

  it('weeks start on Monday and cross the year boundary (ISO weeks)', () => {
    // Mon 28 Dec 2026 .. Sun 3 Jan 2027 is one ISO week (2026-W53); Mon 4 Jan 2027 starts the next.
    const bs = [
      at('2027-01-04T02:30'),
      at('2027-01-03T02:30'),
      at('2026-12-28T02:30'),
      at('2026-12-27T02:30'),
    ];
    expect(selectRetained(bs, 0, 3).keep.map((b) => b.name)).toEqual([
      '2027-01-04T02:30',
      '2027-01-03T02:30',
      '2026-12-27T02:30',
    ]);
  });
});
