// Builds the configuration from defaults and environment variables, reporting every bad value at once.
import { MARGIN_SEGMENTS, type LeverageTable, type MarginSegment } from '../domain/funds.js';
import { PRODUCTS, type Product } from '../domain/order.js';
import { DEFAULT_CONFIG, ENVIRONMENTS, type Config, type Environment } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `ALGOGATE_LEVERAGE` overrides leverage per segment and product as JSON, merged over the defaults, e.g.
 * `{"equity":{"MIS":4},"futures":{"NRML":5}}`. Leverage is a number from 1 to 100.
 */
function parseLeverage(raw: string | undefined, problems: string[]): LeverageTable {
  const base = DEFAULT_CONFIG.trading.leverage;
  if (raw === undefined || raw.trim() === '') return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push('ALGOGATE_LEVERAGE must be JSON like {"equity":{"MIS":5}}');
    return base;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push('ALGOGATE_LEVERAGE must be a JSON object keyed by segment');
    return base;
  }
  const out: Record<MarginSegment, Partial<Record<Product, number>>> = {
    equity: { ...base.equity },
    futures: { ...base.futures },
    options_buy: { ...base.options_buy },
    options_sell: { ...base.options_sell },
  };
  for (const [segment, products] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(MARGIN_SEGMENTS as readonly string[]).includes(segment)) {
      problems.push(`ALGOGATE_LEVERAGE: unknown segment ${segment} (use ${MARGIN_SEGMENTS.join(', ')})`);
      continue;
    }
    if (products === null || typeof products !== 'object') {
      problems.push(`ALGOGATE_LEVERAGE.${segment} must be an object like {"MIS":5}`);
      continue;
    }
    for (const [product, value] of Object.entries(products as Record<string, unknown>)) {
      if (!(PRODUCTS as readonly string[]).includes(product)) {
        problems.push(
          `ALGOGATE_LEVERAGE.${segment}: unknown product ${product} (use ${PRODUCTS.join(', ')})`,
        );
      } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 100) {
        problems.push(`ALGOGATE_LEVERAGE.${segment}.${product} must be a number from 1 to 100`);
      } else {
        out[segment as MarginSegment][product as Product] = value;
      }
    }
  }
  return out;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Reads `ALGOGATE_*` (and `DATABASE_URL`) over the defaults. Throws `ConfigError` listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${name}=${v} must be one of: ${allowed.join(', ')}`);
    return fallback;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${v} must be a whole number between ${min} and ${max}`);
      return fallback;
    }
    return n;
  };
  const d = DEFAULT_CONFIG;
  const databaseUrl = env.DATABASE_URL ?? null;
  if (databaseUrl !== null && databaseUrl !== '' && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// (leave it unset for the embedded SQLite file)');
  }
  const leverage = parseLeverage(env.ALGOGATE_LEVERAGE, problems);
  const config: Config = {
    env: pick<Environment>('ALGOGATE_ENV', ENVIRONMENTS, d.env),
    host: env.ALGOGATE_HOST ?? d.host,
    port: int('ALGOGATE_PORT', d.port, 0, 65535),
    dataDir: env.ALGOGATE_DATA_DIR ?? d.dataDir,
    databaseUrl: databaseUrl === '' ? null : databaseUrl,
    sqliteSync: pick('ALGOGATE_SQLITE_SYNC', ['NORMAL', 'FULL'] as const, d.sqliteSync),
    logLevel: pick('ALGOGATE_LOG_LEVEL', LOG_LEVELS, d.logLevel),
    seed: int('ALGOGATE_SEED', d.seed, 0, 2 ** 31 - 1),
    bodyLimit: int('ALGOGATE_BODY_LIMIT', d.bodyLimit, 1024, 64 * 1_048_576),
    trading: {
      ...d.trading,
      startingCapital: int('ALGOGATE_STARTING_CAPITAL', d.trading.startingCapital, 0, 1_000_000_000_000),
      sessions: pick('ALGOGATE_MARKET_SESSIONS', ['always', 'exchange'] as const, d.trading.sessions),
      brokerTimeoutMs: int('ALGOGATE_BROKER_TIMEOUT_MS', d.trading.brokerTimeoutMs, 100, 120_000),
      leverage,
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
