// Fixed-point money and prices: integers scaled by 10^4 (see docs/adr/0003-money-as-scaled-integers.md).

/** Number of decimal places every price and money amount carries. */
export const DECIMALS = 4;
/** Scale factor between a rupee amount and its stored integer. */
export const SCALE = 10_000;

/**
 * A price or money amount as an integer count of 1/10,000 of a rupee. `Fixed` values are always safe
 * integers, so addition, subtraction and multiplication by a whole quantity are exact.
 */
export type Fixed = number;

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal given as a string or a JSON number into a `Fixed`, exactly (no float multiply).
 * Returns null for non-numeric input, more than 4 decimal places, or values outside the safe range.
 */
export function parseFixed(input: string | number): Fixed | null {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return null;
    // Number#toString gives the shortest round-trip form; exponent forms are out of range or too precise.
    text = input.toString();
    if (text.includes('e')) {
      if (Math.abs(input) < 1e-4 && input !== 0) return null;
      if (Math.abs(input) >= 1e21) return null;
      text = input.toFixed(DECIMALS);
    }
  } else {
    text = input.trim();
  }
  const m = DECIMAL_RE.exec(text);
  if (!m) return null;
  const sign = m[1] === '-' ? -1 : 1;
  const whole = m[2] ?? '0';
  let frac = m[3] ?? '';
  if (frac.length > DECIMALS) {
    // Trailing zeros beyond the scale are harmless ("10.50000"); real digits there are not representable.
    if (/[^0]/.test(frac.slice(DECIMALS))) return null;
    frac = frac.slice(0, DECIMALS);
  }
  const value = Number(whole) * SCALE + Number(frac.padEnd(DECIMALS, '0'));
  if (!Number.isSafeInteger(value)) return null;
  return value === 0 ? 0 : sign * value;
}

/** Converts a rupee amount that is already exact in 4 decimals (e.g. from config) into a `Fixed`. */
export function fixed(rupees: number): Fixed {
  const v = parseFixed(rupees);
  if (v === null) throw new RangeError(`not representable with ${DECIMALS} decimals: ${rupees}`);
  return v;
}

/** The JSON number a client sees for a `Fixed` (display only; never fed back into arithmetic). */
export function toNumber(value: Fixed): number {
  return value / SCALE;
}

/** Formats with exactly `places` decimals (OpenAlgo's funds use 2), rounding half away from zero. */
export function formatFixed(value: Fixed, places = 2): string {
  const negative = value < 0;
  const abs = Math.abs(value);
  const unit = 10 ** (DECIMALS - places);
  const rounded = roundDiv(abs, unit);
  const whole = Math.floor(rounded / 10 ** places);
  const frac = rounded % 10 ** places;
  const body = places > 0 ? `${whole}.${String(frac).padStart(places, '0')}` : String(whole);
  return negative && rounded !== 0 ? `-${body}` : body;
}

/**
 * Integer division rounded half away from zero. Used wherever a ratio (average price, proportional cost,
 * margin) must come back to a `Fixed`; the only place rounding happens.
 */
export function roundDiv(numerator: number, denominator: number): number {
  if (denominator === 0) throw new RangeError('division by zero');
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator)) {
    throw new RangeError(`unsafe integer division ${numerator}/${denominator}`);
  }
  const negative = numerator < 0 !== denominator < 0;
  const n = Math.abs(numerator);
  const d = Math.abs(denominator);
  const q = Math.floor(n / d);
  const r = n - q * d;
  const rounded = r * 2 >= d ? q + 1 : q;
  return negative ? -rounded : rounded;
}

/** price × quantity as a `Fixed` money amount; throws if the product leaves the exact integer range. */
export function notional(price: Fixed, quantity: number): Fixed {
  const v = price * quantity;
  if (!Number.isSafeInteger(v)) throw new RangeError(`notional out of range: ${price} x ${quantity}`);
  return v;
}

/** `amount × numerator / denominator`, exact until the final rounding (proportional cost, leverage). */
export function mulDiv(amount: Fixed, numerator: number, denominator: number): Fixed {
  const product = amount * numerator;
  if (Number.isSafeInteger(product)) return roundDiv(product, denominator);
  // Fall back to BigInt for the rare product beyond 2^53; the quotient itself must still be safe.
  const big = BigInt(amount) * BigInt(numerator);
  const d = BigInt(denominator);
  const neg = big < 0n !== d < 0n;
  const n = big < 0n ? -big : big;
  const dd = d < 0n ? -d : d;
  let q = n / dd;
  if ((n % dd) * 2n >= dd) q += 1n;
  const result = Number(neg ? -q : q);
  if (!Number.isSafeInteger(result)) throw new RangeError('mulDiv result out of range');
  return result;
}

/** True when `price` is a whole multiple of `tick` (both `Fixed`). */
export function isOnTick(price: Fixed, tick: Fixed): boolean {
  return tick <= 0 || price % tick === 0;
}

/** Rounds a `Fixed` to the nearest multiple of `tick` (half away from zero). */
export function roundToTick(price: Fixed, tick: Fixed): Fixed {
  if (tick <= 0) return price;
  return roundDiv(price, tick) * tick;
}
