// Which backups to keep: the newest of each of the last N days and the newest of each of the last M weeks
// (days and ISO weeks in IST), like `restic forget --keep-daily N --keep-weekly M`.

const IST_OFFSET_MS = 330 * 60_000;

export interface Dated {
  readonly name: string;
  readonly createdAt: Date;
}

function istDay(d: Date): string {
  return new Date(d.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** ISO week (Monday start) of the IST calendar date, as `YYYY-Www`. */
function istWeek(d: Date): string {
  const local = new Date(d.getTime() + IST_OFFSET_MS);
  const day = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()));
  const dow = (day.getUTCDay() + 6) % 7; // Monday 0
  day.setUTCDate(day.getUTCDate() - dow + 3); // Thursday of this week decides the ISO year
  const year = day.getUTCFullYear();
  const week = Math.floor((day.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/**
 * Splits backups into those to keep and those to delete. The newest backup is always kept, whatever
 * the settings, so a retention run can never leave zero backups.
 */
export function selectRetained<T extends Dated>(
  backups: readonly T[],
  keepDaily: number,
  keepWeekly: number,
): { keep: T[]; remove: T[] } {
  const sorted = [...backups].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const keep = new Set<T>();
  const take = (bucket: (d: Date) => string, n: number): void => {
    const seen = new Set<string>();
    for (const b of sorted) {
      if (seen.size >= n) break;
      const k = bucket(b.createdAt);
      if (seen.has(k)) continue;
      seen.add(k);
      keep.add(b);
    }
  };
  take(istDay, keepDaily);
  take(istWeek, keepWeekly);
  if (sorted[0] !== undefined) keep.add(sorted[0]);
  return { keep: sorted.filter((b) => keep.has(b)), remove: sorted.filter((b) => !keep.has(b)) };
}

export { istWeek as isoWeekIst };
