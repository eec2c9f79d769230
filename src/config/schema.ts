// The settings algogate understands, their defaults, and the shape services receive.
import type { LeverageTable } from '../domain/funds.js';
import { DEFAULT_LEVERAGE } from '../domain/funds.js';

export const ENVIRONMENTS = ['development', 'testing', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export interface TradingConfig {
  /** Starting capital of a new paper account, in rupees (Fixed). */
  readonly startingCapital: number;
  readonly leverage: LeverageTable;
  /** `always`: the simulated market never closes; `exchange`: real IST sessions, MIS square-off, EOD settlement. */
  readonly sessions: 'always' | 'exchange';
  /** Broker call timeout; past it the outcome is unknown and the order waits for reconciliation. */
  readonly brokerTimeoutMs: number;
  /** How long idempotency keys are remembered. */
  readonly idempotencyTtlMs: number;
  /** Live broker adapter name (`paper` is the built-in exchange). */
  readonly broker: string;
}

export interface Config {
  readonly env: Environment;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `postgres://...` selects PostgreSQL; absent means SQLite in `dataDir`. */
  readonly databaseUrl: string | null;
  readonly sqliteSync: 'NORMAL' | 'FULL';
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Seed of the paper market's price processes. */
  readonly seed: number;
  /** Largest accepted request body in bytes. */
  readonly bodyLimit: number;
  readonly trading: TradingConfig;
}

export const DEFAULT_CONFIG: Config = {
  env: 'development',
  host: '127.0.0.1',
  port: 5000,
  dataDir: './data',
  databaseUrl: null,
  sqliteSync: 'FULL',
  logLevel: 'info',
  seed: 42,
  bodyLimit: 1_048_576,
  trading: {
    startingCapital: 10_000_000,
    leverage: DEFAULT_LEVERAGE,
    sessions: 'always',
    brokerTimeoutMs: 5_000,
    idempotencyTtlMs: 24 * 60 * 60 * 1000,
    broker: 'paper',
  },
};
