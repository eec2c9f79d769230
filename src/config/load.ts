// Builds the configuration from defaults and environment variables, reporting every bad value at once.
import { DEFAULT_CONFIG, ENVIRONMENTS, type Config, type Environment } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

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
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
