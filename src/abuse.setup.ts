// Wires the abuse controls (client IP, headers, CORS, rate limits, bans, hostile input) for buildServer.
import type { Logger as PinoLogger } from 'pino';
import type { Config } from './config/schema.js';
import { ClientIpResolver } from './http/client-ip.js';
import type { AbuseHttpDeps } from './http/plugins/abuse.plugin.js';
import type { Metrics } from './observability/metrics.js';
import { MemoryRateLimitStore } from './platform/memory-rate-limit-store.js';
import { RedisRateLimitStore } from './platform/redis-rate-limit-store.js';
import type { Clock } from './ports/clock.js';
import type { RateLimitStore } from './ports/rate-limit.js';
import type { SecurityEventSink } from './ports/security-events.js';
import { RateLimiter } from './services/rate-limiter.js';

export interface AbuseSetupOptions {
  readonly metrics: Metrics;
  /** The security event trail the controls record into (and whose events count toward bans). */
  readonly securityEvents: SecurityEventSink;
  readonly clock: Clock;
  /** Shared counters and ban notifications across instances; in memory when absent. */
  readonly redisUrl?: string | undefined;
  /** Redis key prefix of the rate-limit counters (tests isolate themselves with their own). */
  readonly redisPrefix?: string | undefined;
}

export interface AbuseSetup {
  /** What buildApp needs (AppDeps.abuse). */
  readonly http: AbuseHttpDeps;
  /** The sink to hand to everyone else. */
  readonly securityEvents: SecurityEventSink;
  close(): Promise<void>;
}

export function setupAbuse(config: Config, logger: PinoLogger, opts: AbuseSetupOptions): AbuseSetup {
  const log = logger.child({ component: 'abuse' });
  const redisUrl = opts.redisUrl !== undefined && opts.redisUrl !== '' ? opts.redisUrl : null;
  const store: RateLimitStore =
    redisUrl !== null ? new RedisRateLimitStore(redisUrl, log, opts.redisPrefix) : new MemoryRateLimitStore();
  let lastStoreWarning = 0;
  const limiter = new RateLimiter(store, () => config.rateLimits, {
    onStoreError: (err) => {
      opts.metrics.rateLimitStoreErrors.inc();
      const now = Date.now();
      // One warning a minute at most: the store being down must not flood the log at request rate.
      if (now - lastStoreWarning > 60_000) {
        lastStoreWarning = now;
        log.warn({ err }, 'rate-limit store failed; letting requests through (fail open)');
      }
    },
  });
  return {
    http: {
      clientIps: new ClientIpResolver(config.httpSecurity.trustedProxies),
      rateLimiter: limiter,
      rateRules: (cls) => config.rateLimits[cls],
      securityEvents: opts.securityEvents,
      metrics: opts.metrics,
      corsOrigins: config.httpSecurity.corsOrigins,
      now: () => opts.clock.now(),
    },
    securityEvents: opts.securityEvents,
    async close() {
      await limiter.close();
    },
  };
}
