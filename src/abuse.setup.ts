// Wires the abuse controls (client IP, headers, CORS, rate limits, bans, hostile input) for buildServer.
import type { IncomingMessage } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import type { Config } from './config/schema.js';
import { ClientIpResolver } from './http/client-ip.js';
import { blockedMessage, type AbuseHttpDeps } from './http/plugins/abuse.plugin.js';
import type { Metrics } from './observability/metrics.js';
import { MemoryRateLimitStore } from './platform/memory-rate-limit-store.js';
import { RedisBanNotifier } from './platform/redis-ban-notifier.js';
import { RedisRateLimitStore } from './platform/redis-rate-limit-store.js';
import type { Clock } from './ports/clock.js';
import type { RateLimitStore } from './ports/rate-limit.js';
import type { SecurityEventInput, SecurityEventSink } from './ports/security-events.js';
import { BanCountingSink, IpBanService } from './services/ip-bans.service.js';
import { RateLimiter } from './services/rate-limiter.js';
import type { SqlExecutor } from './store/driver.js';
import { SqlIpBanStore } from './store/ip-ban-store.js';

export interface AbuseSetupOptions {
  readonly metrics: Metrics;
  /** The security event trail; the controls wrap it so violations recorded by anyone count toward bans. */
  readonly securityEvents: SecurityEventSink;
  readonly clock: Clock;
  /**
   * Subscribes to events recorded into the trail directly, not through our sink (failed logins), so they
   * count toward bans too; returns the unsubscribe.
   */
  readonly observeTrail?: (listener: (event: SecurityEventInput) => void) => () => void;
  /** The database holding the shared ban list (table ip_bans). */
  readonly db: SqlExecutor;
  /** Shared counters and ban notifications across instances; in memory when absent. */
  readonly redisUrl?: string | undefined;
  /** Redis key prefix of the rate-limit counters (tests isolate themselves with their own). */
  readonly redisPrefix?: string | undefined;
  /** Redis channel of ban changes (tests isolate themselves with their own). */
  readonly banChannel?: string | undefined;
}

export interface AbuseSetup {
  /** What buildApp needs (AppDeps.abuse). */
  readonly http: AbuseHttpDeps;
  /** The sink to hand to everyone else: records into the trail and counts violations toward bans. */
  readonly securityEvents: SecurityEventSink;
  readonly bans: IpBanService;
  /** Refuses WebSocket upgrades from banned IPs: the refusal message, or null to let it through. */
  admitUpgrade(req: IncomingMessage): string | null;
  close(): Promise<void>;
}

export async function setupAbuse(
  config: Config,
  logger: PinoLogger,
  opts: AbuseSetupOptions,
): Promise<AbuseSetup> {
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

  const notifier = redisUrl !== null ? new RedisBanNotifier(redisUrl, log, opts.banChannel) : null;
  const bans = new IpBanService({
    store: new SqlIpBanStore(opts.db),
    config: () => config.ipBans,
    clock: opts.clock,
    events: opts.securityEvents,
    log,
    ...(notifier ? { notify: () => void notifier.publish() } : {}),
    onActive: (n) => {
      opts.metrics.ipBansActive.set(n);
    },
  });
  const refresh = (): void => {
    bans.refresh().catch((err: unknown) => {
      log.warn({ err }, 'could not refresh the ip ban list');
    });
  };
  await bans.refresh();
  // A poll of shared state, paced in real time (not the trading clock, which tests move by days).
  const refreshTimer = setInterval(refresh, config.ipBans.refreshMs);
  refreshTimer.unref();
  if (notifier !== null) {
    try {
      await notifier.start(refresh);
    } catch (err) {
      // Bans still spread through the periodic refresh.
      log.warn({ err }, 'ip ban notifications over redis unavailable; relying on the periodic refresh');
    }
  }
  const securityEvents = new BanCountingSink(opts.securityEvents, bans);
  const unobserve = opts.observeTrail?.(securityEvents.observeDirect);
  const clientIps = new ClientIpResolver(config.httpSecurity.trustedProxies);

  return {
    http: {
      clientIps,
      rateLimiter: limiter,
      rateRules: (cls) => config.rateLimits[cls],
      bans,
      securityEvents,
      metrics: opts.metrics,
      corsOrigins: config.httpSecurity.corsOrigins,
      now: () => opts.clock.now(),
      jsonMaxDepth: () => config.httpSecurity.jsonMaxDepth,
      hostileInputChecks: () => config.httpSecurity.hostileInputChecks,
    },
    securityEvents,
    bans,
    admitUpgrade(req) {
      const socket = req.socket as { encrypted?: boolean; remoteAddress?: string };
      const { ip } = clientIps.resolve(socket.remoteAddress, req.headers, socket.encrypted === true);
      const ban = bans.blocked(ip);
      if (ban === null) return null;
      opts.metrics.ipBlocked.inc();
      return blockedMessage(ip, ban.expiresAt);
    },
    async close() {
      clearInterval(refreshTimer);
      unobserve?.();
      await notifier?.close();
      await limiter.close();
    },
  };
}
