// Recurring job slots on the IST wall clock (`daily HH:MM`, `every Nh`): parsing and slot arithmetic.

const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;

/** `daily HH:MM` (IST) or `every Nh` (N dividing 24, slots from IST midnight). */
export type Schedule =
  | { readonly kind: 'daily'; readonly minuteOfDay: number }
  | { readonly kind: 'every'; readonly hours: number };

/** Parses a schedule setting; returns null for `off`/empty, an error message string when invalid. */
export function parseSchedule(text: string): Schedule | null | string {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'off') return null;
  const daily = /^daily (\d{1,2}):(\d{2})$/.exec(t);
  if (daily) {
    const h = Number(daily[1]);
    const m = Number(daily[2]);
    if (h > 23 || m > 59) return `bad time in "${text}" (use daily HH:MM, 24-hour IST)`;
    return { kind: 'daily', minuteOfDay: h * 60 + m };
  }
  const every = /^every (\d{1,2})h$/.exec(t);
  if (every) {
    const hours = Number(every[1]);
    if (hours < 1 || 24 % hours !== 0)
      return `"${text}": N in every Nh must divide 24 (1, 2, 3, 4, 6, 8, 12, 24)`;
    return { kind: 'every', hours };
  }
  return `"${text}" is not a schedule: use off, "daily HH:MM" (IST) or "every Nh"`;
}

/** Start (epoch ms) of the latest slot at or before `now`. */
export function latestSlot(schedule: Schedule, now: number): number {
  const local = now + IST_OFFSET_MS;
  const midnight = Math.floor(local / DAY_MS) * DAY_MS;
  let slotLocal: number;
  if (schedule.kind === 'daily') {
    slotLocal = midnight + schedule.minuteOfDay * 60_000;
    if (slotLocal > local) slotLocal -= DAY_MS;
  } else {
    const step = schedule.hours * 3_600_000;
    slotLocal = midnight + Math.floor((local - midnight) / step) * step;
  }
  return slotLocal - IST_OFFSET_MS;
}

/** A stable name of a slot for claims: its IST wall-clock time, e.g. `2026-12-04T02:30+05:30`. */
export function slotKey(slotStart: number): string {
  return `${new Date(slotStart + IST_OFFSET_MS).toISOString().slice(0, 16)}+05:30`;
}
