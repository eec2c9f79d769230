// Setting constructors (int, duration, enum, bool, string, url, secret, list, cidr list, rate, json): how each
// kind parses a value from an environment variable (a string) or from algogate.yaml (a YAML value).
import { BlockList, isIP } from 'node:net';

/** A parse failure: `at` (".equity.MIS") narrows the subject; `message` reads after it ("must be ..."). */
export interface Problem {
  readonly at?: string;
  readonly message: string;
}
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

export const KINDS = [
  'int',
  'number',
  'duration',
  'enum',
  'bool',
  'string',
  'url',
  'secret',
  'list',
  'cidrList',
  'rate',
  'json',
] as const;
export type Kind = (typeof KINDS)[number];

/** One setting: its key in Config (dotted path), env var, kind, default and how to parse it. */
export interface Setting<K extends string = string, T = unknown> {
  /** Dotted path into Config, e.g. `trading.brokerTimeoutMs`; also the key path in algogate.yaml. */
  readonly key: K;
  /** Environment variable that overrides the file (e.g. `ALGOGATE_BROKER_TIMEOUT_MS`). */
  readonly env: string;
  readonly kind: Kind;
  readonly description: string;
  readonly default: T;
  /** The default as written in the template and docs. */
  readonly defaultText: string;
  /** What values are accepted, in words (template and `config validate`). */
  readonly accepts: string;
  /** Safe to change while running: applied by hot reload and PUT /config/update at once. */
  readonly hotReload: boolean;
  /** Never shown (summary, logs, audit): redacted as "***". */
  readonly secret: boolean;
  /** Whether a bad value may be echoed in error messages (never for secrets and URLs). */
  readonly showValue: boolean;
  /** Values production refuses (debug switches), e.g. logLevel `debug`. */
  readonly productionForbidden: readonly unknown[];
  /** Secrets: least length; production also refuses documented defaults. */
  readonly minLength?: number;
  /** Production refuses to start while this is unset. */
  readonly requiredInProduction: boolean;
  readonly parse: (raw: unknown) => Parsed<T>;
}

/** Fields every constructor takes. `hot` defaults to false (restart required). */
export interface Common {
  readonly env: string;
  readonly description: string;
  readonly hot?: boolean;
  /** Values production refuses, e.g. `['debug', 'trace']`. */
  readonly productionForbidden?: readonly unknown[];
  readonly requiredInProduction?: boolean;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(message: string, at?: string): Parsed<T> => ({
  ok: false,
  problems: [at === undefined ? { message } : { at, message }],
});

function make<K extends string, T>(
  key: K,
  kind: Kind,
  c: Common,
  extra: {
    default: T;
    defaultText: string;
    accepts: string;
    parse: (raw: unknown) => Parsed<T>;
    secret?: boolean;
    showValue?: boolean;
    minLength?: number;
  },
): Setting<K, T> {
  return {
    key,
    env: c.env,
    kind,
    description: c.description,
    default: extra.default,
    defaultText: extra.defaultText,
    accepts: extra.accepts,
    hotReload: c.hot === true,
    secret: extra.secret === true,
    showValue: extra.showValue ?? true,
    productionForbidden: c.productionForbidden ?? [],
    ...(extra.minLength === undefined ? {} : { minLength: extra.minLength }),
    requiredInProduction: c.requiredInProduction === true,
    parse: extra.parse,
  };
}

function toNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '' && /^[-+]?[0-9_.eE]+$/.test(raw.trim())) {
    return Number(raw.trim().replaceAll('_', ''));
  }
  return null;
}

/** A whole number in [min, max]. */
export function int<K extends string>(
  key: K,
  c: Common & { default: number; min: number; max: number },
): Setting<K, number> {
  const accepts = `a whole number between ${c.min} and ${c.max}`;
  return make(key, 'int', c, {
    default: c.default,
    defaultText: String(c.default),
    accepts,
    parse: (raw) => {
      const n = toNumber(raw);
      return n !== null && Number.isInteger(n) && n >= c.min && n <= c.max
        ? ok(n)
        : bad(`must be ${accepts}`);
    },
  });
}

/** A (possibly fractional) number in [min, max]: ratios and thresholds, never money. */
export function number<K extends string>(
  key: K,
  c: Common & { default: number; min: number; max: number },
): Setting<K, number> {
  const accepts = `a number from ${c.min} to ${c.max}`;
  return make(key, 'number', c, {
    default: c.default,
    defaultText: String(c.default),
    accepts,
    parse: (raw) => {
      const n = toNumber(raw);
      return n !== null && Number.isFinite(n) && n >= c.min && n <= c.max ? ok(n) : bad(`must be ${accepts}`);
    },
  });
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Writes milliseconds the way a person would (`5s`, `24h`, `250ms`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration in milliseconds: a number of ms, or `250ms`, `5s`, `2m`, `24h`, `7d`. */
export function duration<K extends string>(
  key: K,
  c: Common & { default: number; min: number; max: number },
): Setting<K, number> {
  const accepts = `a duration from ${formatDuration(c.min)} to ${formatDuration(c.max)} (like 500ms, 5s, 2m, 1h; a bare number is milliseconds)`;
  return make(key, 'duration', c, {
    default: c.default,
    defaultText: formatDuration(c.default),
    accepts,
    parse: (raw) => {
      let ms: number | null = toNumber(raw);
      if (ms === null && typeof raw === 'string') {
        const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(raw);
        if (m) ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
      }
      return ms !== null && Number.isInteger(ms) && ms >= c.min && ms <= c.max
        ? ok(ms)
        : bad(`must be ${accepts}`);
    },
  });
}

/** One of a fixed list of words. */
export function oneOf<K extends string, const V extends readonly string[]>(
  key: K,
  values: V,
  c: Common & { default: V[number] },
): Setting<K, V[number]> {
  const accepts = `one of: ${values.join(', ')}`;
  return make(key, 'enum', c, {
    default: c.default,
    defaultText: c.default,
    accepts,
    parse: (raw) =>
      typeof raw === 'string' && (values as readonly string[]).includes(raw)
        ? ok(raw as V[number])
        : bad(`must be ${accepts}`),
  });
}

const TRUE_WORDS = ['true', 'on', 'yes', '1'];
const FALSE_WORDS = ['false', 'off', 'no', '0'];

/** A switch: true/false, on/off, yes/no, 1/0. */
export function bool<K extends string>(key: K, c: Common & { default: boolean }): Setting<K, boolean> {
  return make(key, 'bool', c, {
    default: c.default,
    defaultText: c.default ? 'on' : 'off',
    accepts: 'on or off (true/false, yes/no, 1/0)',
    parse: (raw) => {
      if (typeof raw === 'boolean') return ok(raw);
      const s = String(raw).trim().toLowerCase();
      if (TRUE_WORDS.includes(s)) return ok(true);
      if (FALSE_WORDS.includes(s)) return ok(false);
      return bad('must be on or off (true/false, yes/no, 1/0)');
    },
  });
}

/** Free text (optionally matching a pattern); `default: null` makes it optional. */
export function string<K extends string, D extends string | null>(
  key: K,
  c: Common & { default: D; pattern?: RegExp; patternText?: string },
): Setting<K, string | D> {
  const accepts = c.patternText ?? 'text';
  return make<K, string | D>(key, 'string', c, {
    default: c.default,
    defaultText: c.default ?? '(unset)',
    accepts,
    parse: (raw) => {
      if (typeof raw !== 'string' && typeof raw !== 'number') return bad('must be text');
      const s = String(raw);
      return c.pattern && !c.pattern.test(s) ? bad(`must be ${accepts}`) : ok(s);
    },
  });
}

/** A URL whose scheme is one of `protocols` (e.g. `['postgres:', 'postgresql:']`); `default: null` = optional. */
export function url<K extends string, D extends string | null>(
  key: K,
  c: Common & { default: D; protocols: readonly string[]; hint?: string },
): Setting<K, string | D> {
  const schemes = c.protocols.map((p) => `${p}//`).join(' or ');
  const accepts = `a URL starting with ${schemes}`;
  return make<K, string | D>(key, 'url', c, {
    default: c.default,
    defaultText: c.default ?? '(unset)',
    accepts,
    showValue: false,
    parse: (raw) => {
      if (typeof raw !== 'string') return bad(`must be ${accepts}`);
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        return bad(`must start with ${schemes}${c.hint === undefined ? '' : ` (${c.hint})`}`);
      }
      return c.protocols.includes(u.protocol)
        ? ok(raw)
        : bad(`must start with ${schemes}${c.hint === undefined ? '' : ` (${c.hint})`}`);
    },
  });
}

/**
 * A secret string (keys, peppers, tokens): never shown, at least `minLength` (default 32) characters;
 * production refuses documented defaults. Unset is `null`.
 */
export function secret<K extends string>(
  key: K,
  c: Common & { minLength?: number; check?: (value: string) => string | null },
): Setting<K, string | null> {
  const minLength = c.minLength ?? 32;
  return make<K, string | null>(key, 'secret', c, {
    default: null,
    defaultText: '(unset)',
    accepts: `a secret of at least ${minLength} characters`,
    secret: true,
    showValue: false,
    minLength,
    parse: (raw) => {
      if (typeof raw !== 'string') return bad('must be text (quote it in YAML)');
      if (raw.length < minLength) return bad(`must be at least ${minLength} characters`);
      const problem = c.check?.(raw) ?? null;
      return problem === null ? ok(raw) : bad(problem);
    },
  });
}

/** A list of words: a YAML sequence, or comma-separated in an environment variable. */
export function list<K extends string>(
  key: K,
  c: Common & { default: readonly string[]; item?: (s: string) => string | null },
): Setting<K, readonly string[]> {
  return make<K, readonly string[]>(key, 'list', c, {
    default: c.default,
    defaultText: c.default.length === 0 ? '[]' : c.default.join(','),
    accepts: 'a list (YAML sequence, or comma-separated in the environment)',
    parse: (raw) => parseList(raw, c.item ?? (() => null)),
  });
}

function parseList(raw: unknown, check: (s: string) => string | null): Parsed<readonly string[]> {
  let items: unknown[];
  if (Array.isArray(raw)) items = raw;
  // `[]` is how the template and docs write an empty list.
  else if (typeof raw === 'string' && raw.trim() === '[]') items = [];
  else if (typeof raw === 'string')
    items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  else return bad('must be a list');
  const problems: Problem[] = [];
  const out: string[] = [];
  items.forEach((item, i) => {
    if (typeof item !== 'string' && typeof item !== 'number') {
      problems.push({ at: `[${i}]`, message: 'must be text' });
      return;
    }
    const s = String(item);
    const err = check(s);
    if (err !== null) problems.push({ at: `[${i}]`, message: err });
    else out.push(s);
  });
  return problems.length > 0 ? { ok: false, problems } : ok(out);
}

/** Whether `s` is an IP address or CIDR block (`10.0.0.0/8`, `::1`, `2001:db8::/32`). */
export function cidrProblem(s: string): string | null {
  const [addr = '', bits, ...rest] = s.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return `${s} is not an IP address or CIDR block`;
  if (bits !== undefined) {
    const n = Number(bits);
    const max = family === 4 ? 32 : 128;
    if (!/^\d+$/.test(bits) || n > max) return `${s}: prefix length must be 0 to ${max}`;
  }
  return null;
}

/** A list of IP addresses / CIDR blocks. */
export function cidrList<K extends string>(
  key: K,
  c: Common & { default: readonly string[] },
): Setting<K, readonly string[]> {
  return make<K, readonly string[]>(key, 'cidrList', c, {
    default: c.default,
    defaultText: c.default.length === 0 ? '[]' : c.default.join(','),
    accepts: 'a list of IP addresses or CIDR blocks (10.0.0.0/8, ::1)',
    parse: (raw) => parseList(raw, cidrProblem),
  });
}

/** Builds a node BlockList from a validated cidr list (for allow/deny checks). */
export function toBlockList(cidrs: readonly string[]): BlockList {
  const bl = new BlockList();
  for (const c of cidrs) {
    const [addr = '', bits] = c.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) bl.addAddress(addr, type);
    else bl.addSubnet(addr, Number(bits), type);
  }
  return bl;
}

/** `100/min`: at most `limit` events per `windowMs`. */
export interface RateSpec {
  readonly limit: number;
  readonly windowMs: number;
}

const RATE_UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

/** Reads `10/s`, `100/min`, `1000/hour`, `5/15m` into a RateSpec. */
export function parseRate(raw: string): RateSpec | null {
  const m = /^\s*(\d+)\s*(?:\/|per)\s*(\d+)?\s*([a-z]+)\s*$/.exec(raw.toLowerCase());
  if (!m) return null;
  const unit = RATE_UNITS[m[3] ?? ''];
  const limit = Number(m[1]);
  if (unit === undefined || limit < 1) return null;
  return { limit, windowMs: unit * Number(m[2] ?? '1') };
}

/** A rate like `100/min` or `10/s`. */
export function rate<K extends string>(key: K, c: Common & { default: string }): Setting<K, RateSpec> {
  const def = parseRate(c.default);
  if (def === null) throw new Error(`${key}: bad default rate ${c.default}`);
  return make(key, 'rate', c, {
    default: def,
    defaultText: c.default,
    accepts: 'a rate like 10/s, 100/min, 1000/hour, 5/15m',
    parse: (raw) => {
      const r = typeof raw === 'string' ? parseRate(raw) : null;
      return r === null ? bad('must be a rate like 10/s, 100/min, 1000/hour, 5/15m') : ok(r);
    },
  });
}

/** Several rates that all apply, like `5/min,25/hour` (a YAML sequence, or comma-separated). */
export function rates<K extends string>(
  key: K,
  c: Common & { default: string },
): Setting<K, readonly RateSpec[]> {
  const parseAll = (raw: unknown): RateSpec[] | null => {
    const parts = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
    if (parts === null || parts.length === 0) return null;
    const out: RateSpec[] = [];
    for (const p of parts) {
      const r = typeof p === 'string' ? parseRate(p) : null;
      if (r === null) return null;
      out.push(r);
    }
    return out;
  };
  const def = parseAll(c.default);
  if (def === null) throw new Error(`${key}: bad default rates ${c.default}`);
  const accepts = 'one or more rates like 10/s or 5/min,25/hour';
  return make(key, 'rate', c, {
    default: def,
    defaultText: c.default,
    accepts,
    parse: (raw) => {
      const r = parseAll(raw);
      return r === null ? bad(`must be ${accepts}`) : ok(r);
    },
  });
}

/**
 * A structured value (a YAML mapping, or JSON in an environment variable) checked by `parse`, which
 * receives the decoded object and reports each problem with its sub-path.
 */
export function json<K extends string, T>(
  key: K,
  c: Common & {
    default: T;
    defaultText: string;
    accepts: string;
    parse: (value: unknown) => Parsed<T>;
  },
): Setting<K, T> {
  return make(key, 'json', c, {
    default: c.default,
    defaultText: c.defaultText,
    accepts: c.accepts,
    parse: (raw) => {
      if (typeof raw !== 'string') return c.parse(raw);
      try {
        return c.parse(JSON.parse(raw));
      } catch {
        return bad(`must be JSON (${c.accepts})`);
      }
    },
  });
}

export { ok as parsedOk, bad as parsedBad };
