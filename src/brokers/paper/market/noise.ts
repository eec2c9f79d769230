// Counter-based pseudo-randomness: pure integer hashes of (seed, key, counters) mapped to uniform and normal draws.
//
// Nothing here keeps state, so any draw can be recomputed from its coordinates alone; that is what lets the
// simulator price any past or future instant without replaying the path up to it.

/** One murmur3-style mixing round of a 32-bit value into a running hash. */
function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let x = h ^ k;
  x = (x << 13) | (x >>> 19);
  return (Math.imul(x, 5) + 0xe6546b64) | 0;
}

/** Final avalanche so that nearby counters give unrelated outputs. */
function finalize(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Unsigned 32-bit hash of up to four integer coordinates under a 32-bit key. */
export function hash32(key: number, a: number, b = 0, c = 0): number {
  return finalize(mix(mix(mix(key, a), b), c) ^ 12);
}

/** 32-bit FNV-1a of a string: turns seeds and instrument keys into hash keys. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Combines two 32-bit keys (seed and instrument) into one. */
export function combineKeys(a: number, b: number): number {
  return finalize(mix(a, b));
}

/** A uniform draw in the open interval (0, 1). */
export function uniform(h: number): number {
  return (h + 0.5) / 4_294_967_296;
}

// Acklam's rational approximation of the inverse normal CDF (relative error below 1.2e-9).
const [A0, A1, A2, A3, A4, A5] = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
] as const;
const [B0, B1, B2, B3, B4] = [
  -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
] as const;
const [C0, C1, C2, C3, C4, C5] = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
] as const;
const [D0, D1, D2, D3] = [
  0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416,
] as const;
const P_LOW = 0.02425;

/** Standard normal quantile of `p` in (0, 1). */
export function inverseNormal(p: number): number {
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p));
    const x =
      (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) /
      ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
    return p < P_LOW ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) /
    (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1)
  );
}

/** A standard normal draw at the given coordinates. */
export function normalAt(key: number, a: number, b = 0, c = 0): number {
  return inverseNormal(uniform(hash32(key, a, b, c)));
}
