// Strike offsets of options requests (ATM, ITMn, OTMn) and the labels of chain rows.
import { AppError } from '../domain/errors.js';
import type { OptionType } from '../domain/symbology.js';

export const MAX_OFFSET = 50;

/** A parsed strike offset: steps from ATM toward in-the-money (positive) or out-of-the-money (negative). */
export interface Offset {
  readonly label: string;
  readonly itmSteps: number;
}

/** `ATM`, `ITM1`..`ITM50`, `OTM1`..`OTM50` (case-insensitive). */
export function parseOffset(text: string): Offset {
  const t = text.trim().toUpperCase();
  const m = /^(?:ATM|(ITM|OTM)([1-9]\d?))$/.exec(t);
  const n = Number(m?.[2] ?? 0);
  if (m === null || n > MAX_OFFSET)
    throw new AppError('VALIDATION', `offset: must be ATM, ITM1..ITM50 or OTM1..OTM50, got ${text}`);
  return { label: t, itmSteps: m[1] === 'ITM' ? n : -n };
}

/** Label of a strike `steps` strikes above ATM, seen from one side (calls are ITM below ATM). */
export function strikeLabel(steps: number, type: OptionType): string {
  if (steps === 0) return 'ATM';
  const itm = type === 'CE' ? steps < 0 : steps > 0;
  return `${itm ? 'ITM' : 'OTM'}${Math.abs(steps)}`;
}
