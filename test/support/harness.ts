// Builds a full in-process server (real store, paper exchange, manual clock) for app.inject tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_CONFIG, type Config } from '../../src/config/schema.js';
import { buildServer, type Server } from '../../src/main.js';
import type { Broker } from '../../src/ports/broker.js';
import { ManualClock } from './manual-clock.js';

/** Monday 23 Nov 2026, 10:00 IST: a trading day, inside the NSE session. */
export const T0 = Date.UTC(2026, 10, 23, 4, 30, 0);

export interface TestApp {
  readonly server: Omit<Server, 'url'>;
  readonly clock: ManualClock;
  readonly apiKey: string;
  readonly dataDir: string;
  post(
    path: string,
    body: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Closes the server, keeping the data (for restart tests). */
  stop(): Promise<void>;
  /** Closes and deletes the data dir. */
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly databaseUrl?: string | null;
  readonly dataDir?: string;
  readonly clock?: ManualClock;
  readonly trading?: Partial<Config['trading']>;
  readonly resilience?: Partial<Config['resilience']>;
  readonly apiKey?: string;
  readonly brokers?: readonly Broker[];
  /** Small limits make a "busy day" (books read back from the store) cheap to test. */
  readonly bookMemory?: { readonly orders: number; readonly fills: number };
  /**
   * Rate limits are off unless a test asks for them (tests fire many requests at once); pass the settings to
   * enforce. Likewise the other abuse-control settings.
   */
  readonly rateLimits?: Config['rateLimits'];
  readonly ipBans?: Partial<Config['ipBans']>;
  readonly httpSecurity?: Partial<Config['httpSecurity']>;
  /** Shared Redis for rate limits, bans and security invalidation (multi-instance tests). */
  readonly redisUrl?: string;
  readonly rateLimitPrefix?: string;
  readonly security?: Partial<Config['security']>;
  /** Where server logs go (default: silent). */
  readonly logger?: import('pino').Logger;
  readonly securityChannel?: string;
  readonly banChannel?: string;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'algogate-test-'));
  const clock = opts.clock ?? new ManualClock(T0);
  const config: Config = {
    ...DEFAULT_CONFIG,
    env: 'testing',
    dataDir,
    databaseUrl: opts.databaseUrl ?? null,
    sqliteSync: 'NORMAL',
    trading: { ...DEFAULT_CONFIG.trading, ...opts.trading },
    resilience: { ...DEFAULT_CONFIG.resilience, ...opts.resilience },
    rateLimits: opts.rateLimits ?? { ...DEFAULT_CONFIG.rateLimits, enabled: false },
    ipBans: { ...DEFAULT_CONFIG.ipBans, ...opts.ipBans },
    httpSecurity: { ...DEFAULT_CONFIG.httpSecurity, ...opts.httpSecurity },
    security: { ...DEFAULT_CONFIG.security, ...opts.security },
  };
  const server = await buildServer(config, opts.logger ?? pino({ level: 'silent' }), {
    clock,
    ...(opts.redisUrl !== undefined ? { redisUrl: opts.redisUrl } : {}),
    ...(opts.securityChannel !== undefined ? { securityChannel: opts.securityChannel } : {}),
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.bookMemory ? { bookMemory: opts.bookMemory } : {}),
    ...(opts.redisUrl !== undefined ? { redisUrl: opts.redisUrl } : {}),
    ...(opts.rateLimitPrefix !== undefined ? { rateLimitPrefix: opts.rateLimitPrefix } : {}),
    ...(opts.banChannel !== undefined ? { banChannel: opts.banChannel } : {}),
  });
  const apiKey = opts.apiKey ?? server.bootstrap?.apiKey;
  if (apiKey === undefined) throw new Error('no API key: pass apiKey when reopening an existing data dir');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    clock,
    apiKey,
    dataDir,
    async post(path, body, headers = {}) {
      const res = await server.app.inject({ method: 'POST', url: path, payload: body, headers });
      return { status: res.statusCode, body: res.json(), headers: res.headers };
    },
    stop,
    async close() {
      await stop();
      if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
