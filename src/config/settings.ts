// The one schema of every algogate setting: key, environment variable, kind, default, hot or restart, secret.
//
// ADDING A SETTING IS ONE ENTRY in SETTINGS below, in your area's section, for example:
//
//   duration('resilience.breakerCooldownMs', {
//     env: 'ALGOGATE_BREAKER_COOLDOWN', default: 30_000, min: 1_000, max: 600_000, hot: true,
//     description: 'How long an open circuit breaker waits before letting one trial call through',
//   }),
//
// Everything else derives from the entry: the `Config` type (`config.resilience.breakerCooldownMs`),
// DEFAULT_CONFIG, the environment variable, the algogate.yaml key (`resilience:` / `breakerCooldownMs:`),
// validation with every problem listed at once, the `algogate config init` template, redaction in
// GET /config/summary, and hot reload. Kinds: int, number, duration, oneOf, bool, string, url, secret, list,
// cidrList, rate, json (see setting-kinds.ts). `hot: true` only when the code reads the value each time it
// uses it (`config.x.y` inside the call, or a getter `() => config.x.y`), or subscribes to LiveConfig.
// Secrets use `secret(...)`: never shown, at least 32 characters, documented defaults refused in production.
// Also add a row to the README configuration table. See docs/adr/0014-configuration-and-secrets.md.
import {
  DEFAULT_LEVERAGE,
  MARGIN_SEGMENTS,
  type LeverageTable,
  type MarginSegment,
} from '../domain/funds.js';
import { PRODUCTS, type Product } from '../domain/order.js';
import { masterKeyProblem } from './master-key.js';
import {
  bool,
  cidrList,
  duration,
  int,
  json,
  list,
  oneOf,
  parsedOk,
  rates,
  secret,
  string,
  url,
  type Parsed,
  type Problem,
  type Setting,
} from './setting-kinds.js';

export const ENVIRONMENTS = ['development', 'testing', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** Leverage overrides per segment and product, merged over the defaults; each from 1 to 100. */
function parseLeverage(value: unknown): Parsed<LeverageTable> {
  const base = DEFAULT_LEVERAGE;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      problems: [{ message: 'must be an object keyed by segment, like {"equity":{"MIS":5}}' }],
    };
  }
  const problems: Problem[] = [];
  const out: Record<MarginSegment, Partial<Record<Product, number>>> = {
    equity: { ...base.equity },
    futures: { ...base.futures },
    options_buy: { ...base.options_buy },
    options_sell: { ...base.options_sell },
  };
  for (const [segment, products] of Object.entries(value as Record<string, unknown>)) {
    if (!(MARGIN_SEGMENTS as readonly string[]).includes(segment)) {
      problems.push({ message: `unknown segment ${segment} (use ${MARGIN_SEGMENTS.join(', ')})` });
      continue;
    }
    if (products === null || typeof products !== 'object') {
      problems.push({ at: `.${segment}`, message: 'must be an object like {"MIS":5}' });
      continue;
    }
    for (const [product, v] of Object.entries(products as Record<string, unknown>)) {
      if (!(PRODUCTS as readonly string[]).includes(product)) {
        problems.push({
          at: `.${segment}`,
          message: `unknown product ${product} (use ${PRODUCTS.join(', ')})`,
        });
      } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 100) {
        problems.push({ at: `.${segment}.${product}`, message: 'must be a number from 1 to 100' });
      } else {
        out[segment as MarginSegment][product as Product] = v;
      }
    }
  }
  return problems.length > 0 ? { ok: false, problems } : parsedOk(out);
}

/** A CORS origin: scheme, host and optional port, nothing else. */
function corsOriginProblem(o: string): string | null {
  try {
    const u = new URL(o);
    if ((u.protocol === 'https:' || u.protocol === 'http:') && u.origin === o) return null;
  } catch {
    // reported below
  }
  return `${o} is not an origin like https://dash.example.com`;
}

export const SETTINGS = [
  // --- server --------------------------------------------------------------------------------------------
  oneOf('env', ENVIRONMENTS, {
    env: 'ALGOGATE_ENV',
    default: 'development',
    description: 'Environment; production refuses weak secrets, debug settings and an invalid file',
  }),
  string('host', { env: 'ALGOGATE_HOST', default: '127.0.0.1', description: 'Address to listen on' }),
  int('port', { env: 'ALGOGATE_PORT', default: 5000, min: 0, max: 65535, description: 'Port to listen on' }),
  int('bodyLimit', {
    env: 'ALGOGATE_BODY_LIMIT',
    default: 1_048_576,
    min: 1024,
    max: 64 * 1_048_576,
    description: 'Largest accepted request body in bytes',
  }),

  // --- storage -------------------------------------------------------------------------------------------
  string('dataDir', {
    env: 'ALGOGATE_DATA_DIR',
    default: './data',
    description: 'Directory of the SQLite file (algogate.db) and the generated API key pepper (keys/)',
  }),
  url('databaseUrl', {
    env: 'DATABASE_URL',
    default: null,
    protocols: ['postgres:', 'postgresql:'],
    hint: 'leave it unset for the embedded SQLite file',
    description: 'postgres://user@host:5432/db selects PostgreSQL; unset means SQLite in dataDir',
  }),
  oneOf('sqliteSync', ['NORMAL', 'FULL'], {
    env: 'ALGOGATE_SQLITE_SYNC',
    default: 'FULL',
    description:
      'FULL: every acknowledged order survives power loss; NORMAL: faster, survives process crashes',
  }),
  url('redisUrl', {
    env: 'REDIS_URL',
    default: null,
    protocols: ['redis:', 'rediss:'],
    description: 'redis://127.0.0.1:6379 shares WebSocket ticks and order events across instances',
  }),

  // --- logging and observability -------------------------------------------------------------------------
  oneOf('logLevel', LOG_LEVELS, {
    env: 'ALGOGATE_LOG_LEVEL',
    default: 'info',
    hot: true,
    productionForbidden: ['debug', 'trace'],
    description: 'Log level of the JSON logs on stdout',
  }),
  string('log.file', {
    env: 'ALGOGATE_LOG_FILE',
    default: null,
    description: 'Also write the JSON logs to this file, rotated by size (unset: stdout only)',
  }),
  int('log.maxSize', {
    env: 'ALGOGATE_LOG_MAX_SIZE',
    default: 10 * 1_048_576,
    min: 65_536,
    max: 1_073_741_824,
    description: 'Bytes a log file may reach before it is rotated',
  }),
  int('log.maxFiles', {
    env: 'ALGOGATE_LOG_MAX_FILES',
    default: 5,
    min: 1,
    max: 1000,
    description: 'Rotated log files kept beside the current one (older ones are deleted)',
  }),
  secret('metrics.token', {
    env: 'ALGOGATE_METRICS_TOKEN',
    description:
      'Bearer token GET /metrics requires; unset: direct loopback scrapes, or an authenticated viewer',
  }),
  int('health.diskMinFreePercent', {
    env: 'ALGOGATE_HEALTH_DISK_MIN_FREE',
    default: 5,
    min: 0,
    max: 99,
    hot: true,
    description: 'GET /health reports unhealthy (503) when the data directory disk has less free space (%)',
  }),
  duration('health.eventLoopMaxDelayMs', {
    env: 'ALGOGATE_HEALTH_EVENT_LOOP_MAX_DELAY',
    default: 1_000,
    min: 10,
    max: 60_000,
    hot: true,
    description: 'GET /health reports unhealthy (503) when the event loop p99 delay exceeds this',
  }),
  duration('health.timeoutMs', {
    env: 'ALGOGATE_HEALTH_TIMEOUT',
    default: 2_000,
    min: 100,
    max: 30_000,
    hot: true,
    description: 'Time each health check (database, Redis, broker) may take before it counts as failed',
  }),
  duration('latency.windowMs', {
    env: 'ALGOGATE_LATENCY_WINDOW',
    default: 300_000,
    min: 1_000,
    max: 86_400_000,
    description: 'Default rolling window of GET /system/latency (the last 4096 orders per broker and type)',
  }),

  // --- trading and risk ----------------------------------------------------------------------------------
  int('seed', {
    env: 'ALGOGATE_SEED',
    default: 42,
    min: 0,
    max: 2 ** 31 - 1,
    description: "Seed of the paper market's price processes",
  }),
  int('trading.startingCapital', {
    env: 'ALGOGATE_STARTING_CAPITAL',
    default: 10_000_000,
    min: 0,
    max: 1_000_000_000_000,
    hot: true,
    description: 'Rupees each new paper account starts with',
  }),
  json('trading.leverage', {
    env: 'ALGOGATE_LEVERAGE',
    default: DEFAULT_LEVERAGE,
    defaultText: JSON.stringify(DEFAULT_LEVERAGE),
    accepts: 'leverage per segment and product, like {"equity":{"MIS":4},"futures":{"NRML":5}}',
    hot: true,
    parse: parseLeverage,
    description:
      'Leverage overrides per segment (equity, futures, options_buy, options_sell) and product, merged over the defaults',
  }),
  oneOf('trading.sessions', ['always', 'exchange'], {
    env: 'ALGOGATE_MARKET_SESSIONS',
    default: 'always',
    description:
      'always: the simulated market never closes; exchange: real IST sessions, MIS square-off, EOD settlement',
  }),
  duration('trading.brokerTimeoutMs', {
    env: 'ALGOGATE_BROKER_TIMEOUT_MS',
    default: 5_000,
    min: 100,
    max: 120_000,
    hot: true,
    description: 'Broker call timeout; past it the outcome is unknown and reconciled, never resent',
  }),
  duration('trading.idempotencyTtlMs', {
    env: 'ALGOGATE_IDEMPOTENCY_TTL',
    default: 24 * 60 * 60 * 1000,
    min: 60_000,
    max: 30 * 86_400_000,
    hot: true,
    description: 'How long idempotency keys are remembered',
  }),
  string('trading.broker', {
    env: 'ALGOGATE_BROKER',
    default: 'paper',
    pattern: /^[a-z][a-z0-9_-]*$/,
    patternText: 'a broker adapter name (lowercase)',
    description: 'Live broker adapter (paper is the built-in exchange)',
  }),

  // --- resilience ----------------------------------------------------------------------------------------
  int('resilience.breakerFailures', {
    env: 'ALGOGATE_BREAKER_FAILURES',
    default: 5,
    min: 1,
    max: 1000,
    hot: true,
    description:
      "Consecutive broker failures (timeouts, resets, 5xx, refused) that open that broker's circuit breaker",
  }),
  duration('resilience.breakerOpenMs', {
    env: 'ALGOGATE_BREAKER_OPEN_MS',
    default: 30_000,
    min: 100,
    max: 3_600_000,
    hot: true,
    description:
      'How long an open circuit breaker refuses calls at once (503) before letting a probe through',
  }),
  int('resilience.breakerHalfOpenProbes', {
    env: 'ALGOGATE_BREAKER_HALF_OPEN_PROBES',
    default: 1,
    min: 1,
    max: 100,
    hot: true,
    description: 'Probes let through at once when half-open; that many successes close the breaker',
  }),
  int('resilience.readAttempts', {
    env: 'ALGOGATE_BROKER_READ_ATTEMPTS',
    default: 3,
    min: 1,
    max: 10,
    hot: true,
    description:
      'Attempts for idempotent broker reads (order lookups) with jittered exponential backoff; orders are never resent',
  }),
  duration('resilience.retryBaseMs', {
    env: 'ALGOGATE_BROKER_RETRY_BASE_MS',
    default: 100,
    min: 1,
    max: 60_000,
    hot: true,
    description: 'First backoff ceiling of broker read retries (full jitter, doubling up to 2 s)',
  }),
  duration('resilience.readinessDelayMs', {
    env: 'ALGOGATE_READINESS_DELAY_MS',
    default: 2_000,
    min: 0,
    max: 120_000,
    hot: true,
    description:
      'On SIGTERM, readiness answers 503 this long before the listener closes, so load balancers drain',
  }),
  duration('resilience.drainTimeoutMs', {
    env: 'ALGOGATE_DRAIN_TIMEOUT_MS',
    default: 10_000,
    min: 0,
    max: 600_000,
    hot: true,
    description: 'Longest wait for in-flight requests on shutdown before their connections are cut',
  }),

  // --- security ------------------------------------------------------------------------------------------
  // Abuse controls (docs/adr/0013): rate limits, IP bans, client IP behind proxies, CORS, hostile input.
  bool('rateLimits.enabled', {
    env: 'ALGOGATE_RATE_LIMIT',
    default: true,
    hot: true,
    productionForbidden: [false],
    description:
      'Rate limits per client IP and API key; off only for local benchmarks (refused in production)',
  }),
  rates('rateLimits.api', {
    env: 'ALGOGATE_RATE_LIMIT_API',
    default: '50/s',
    hot: true,
    description: '/api/v1 calls that are not orders, per client IP and per API key',
  }),
  rates('rateLimits.orders', {
    env: 'ALGOGATE_RATE_LIMIT_ORDERS',
    default: '10/s',
    hot: true,
    description: 'placeorder, modifyorder, cancelorder, cancelallorder, closeposition',
  }),
  rates('rateLimits.smartOrders', {
    env: 'ALGOGATE_RATE_LIMIT_SMART_ORDERS',
    default: '10/s',
    hot: true,
    description: 'placesmartorder, basketorder, splitorder, optionsorder, optionsmultiorder',
  }),
  rates('rateLimits.webhook', {
    env: 'ALGOGATE_RATE_LIMIT_WEBHOOK',
    default: '100/min',
    hot: true,
    description: 'Webhook routes',
  }),
  rates('rateLimits.login', {
    env: 'ALGOGATE_RATE_LIMIT_LOGIN',
    default: '5/min,25/hour',
    hot: true,
    description: 'POST /auth/login, per client IP',
  }),
  bool('ipBans.enabled', {
    env: 'ALGOGATE_IP_BANS',
    default: true,
    hot: true,
    description: 'Ban client IPs automatically after repeated violations (manual bans always apply)',
  }),
  int('ipBans.thresholds.invalidKey', {
    env: 'ALGOGATE_IP_BAN_INVALID_KEYS',
    default: 20,
    min: 1,
    max: 1_000_000,
    hot: true,
    description: 'Invalid API keys from one IP within ipBans.windowMs that ban it',
  }),
  int('ipBans.thresholds.notFound', {
    env: 'ALGOGATE_IP_BAN_NOT_FOUND',
    default: 50,
    min: 1,
    max: 1_000_000,
    hot: true,
    description: '404 probes from one IP within ipBans.windowMs that ban it',
  }),
  int('ipBans.thresholds.loginFailure', {
    env: 'ALGOGATE_IP_BAN_LOGIN_FAILURES',
    default: 20,
    min: 1,
    max: 1_000_000,
    hot: true,
    description: 'Failed logins from one IP within ipBans.windowMs that ban it',
  }),
  int('ipBans.thresholds.rateLimited', {
    env: 'ALGOGATE_IP_BAN_RATE_LIMITED',
    default: 20,
    min: 1,
    max: 1_000_000,
    hot: true,
    description:
      'Rate-limit breaches (windows in which the IP went over a limit) within ipBans.windowMs that ban it',
  }),
  int('ipBans.thresholds.hostileInput', {
    env: 'ALGOGATE_IP_BAN_HOSTILE_INPUT',
    default: 5,
    min: 1,
    max: 1_000_000,
    hot: true,
    description:
      'Hostile payloads (SQL injection, XSS, traversal, command injection) within ipBans.windowMs that ban it',
  }),
  duration('ipBans.windowMs', {
    env: 'ALGOGATE_IP_BAN_WINDOW',
    default: 10 * 60_000,
    min: 1000,
    max: 7 * 86_400_000,
    hot: true,
    description: 'Window in which violations are counted toward a ban',
  }),
  duration('ipBans.durationMs', {
    env: 'ALGOGATE_IP_BAN_DURATION',
    default: 15 * 60_000,
    min: 1000,
    max: 365 * 86_400_000,
    hot: true,
    description: "First automatic ban's length; each further ban of the same IP doubles it",
  }),
  duration('ipBans.maxDurationMs', {
    env: 'ALGOGATE_IP_BAN_MAX_DURATION',
    default: 86_400_000,
    min: 1000,
    max: 365 * 86_400_000,
    hot: true,
    description: 'Longest automatic ban (escalation stops here)',
  }),
  duration('ipBans.refreshMs', {
    env: 'ALGOGATE_IP_BAN_REFRESH',
    default: 5000,
    min: 100,
    max: 600_000,
    description: 'How often each instance re-reads the shared ban list (Redis pub/sub also pushes changes)',
  }),
  cidrList('httpSecurity.trustedProxies', {
    env: 'ALGOGATE_TRUSTED_PROXIES',
    default: [],
    description:
      'Proxies whose X-Forwarded-For / X-Real-IP / X-Forwarded-Proto are believed; otherwise the client IP is the socket peer',
  }),
  list('httpSecurity.corsOrigins', {
    env: 'ALGOGATE_CORS_ORIGINS',
    default: [],
    item: corsOriginProblem,
    description:
      'Browser origins allowed to call /api/* (CORS), like https://dash.example.com; none when empty',
  }),
  int('httpSecurity.jsonMaxDepth', {
    env: 'ALGOGATE_JSON_MAX_DEPTH',
    default: 32,
    min: 2,
    max: 1000,
    hot: true,
    description: 'Deepest JSON nesting accepted in a request body (deeper: 400)',
  }),
  bool('httpSecurity.hostileInputChecks', {
    env: 'ALGOGATE_HOSTILE_INPUT_CHECKS',
    default: true,
    hot: true,
    description:
      'Reject SQL-injection, XSS, path-traversal and command-injection patterns in non-free-text fields of /api/v1 (400)',
  }),
  secret('security.apiKeyPepper', {
    env: 'ALGOGATE_API_KEY_PEPPER',
    description:
      'Secret keying API key hashes; set it to share keys across instances (unset: generated in dataDir/keys)',
  }),

  int('security.sessionMinutes', {
    env: 'ALGOGATE_SESSION_MINUTES',
    default: 30,
    min: 1,
    max: 24 * 60,
    hot: true,
    description: 'Lifetime of a login session (access token and dashboard cookie), in minutes',
  }),
  string('security.dailyCutoff', {
    env: 'ALGOGATE_SESSION_CUTOFF',
    default: '03:00',
    pattern: /^([01]\d|2[0-3]):[0-5]\d$/,
    patternText: 'an IST time HH:MM like 03:00',
    hot: true,
    description: 'IST time of day at which every login session ends (brokers invalidate tokens overnight)',
  }),
  int('security.lockout.maxFailures', {
    env: 'ALGOGATE_LOCKOUT_MAX_FAILURES',
    default: 5,
    min: 1,
    max: 1000,
    hot: true,
    description: 'Failed logins, counted per account and per client IP, that lock further logins',
  }),
  int('security.lockout.minutes', {
    env: 'ALGOGATE_LOCKOUT_MINUTES',
    default: 5,
    min: 1,
    max: 24 * 60,
    hot: true,
    description: 'How long a login lockout lasts, in minutes',
  }),
  cidrList('security.adminAllowList', {
    env: 'ALGOGATE_ADMIN_ALLOW',
    default: [],
    hot: true,
    description: 'Addresses/CIDRs allowed to call admin-only endpoints (empty: any address)',
  }),
  int('security.eventRetentionDays', {
    env: 'ALGOGATE_SECURITY_EVENT_RETENTION_DAYS',
    default: 90,
    min: 1,
    max: 3650,
    hot: true,
    description: 'Security events older than this many days are pruned (hourly)',
  }),
  secret('security.jwtSecret', {
    env: 'ALGOGATE_JWT_SECRET',
    description:
      'Secret signing login session tokens; set the same on every instance (unset: generated in dataDir/keys)',
  }),

  // --- secrets (credential store) ------------------------------------------------------------------------
  secret('secrets.masterKey', {
    env: 'ALGOGATE_MASTER_KEY',
    minLength: 43,
    check: masterKeyProblem,
    description:
      'Master key (32 bytes as 64 hex or base64) of the credential store and sealed TOTP seeds (unset: key files)',
  }),
  secret('secrets.previousMasterKeys', {
    env: 'ALGOGATE_MASTER_KEY_PREVIOUS',
    minLength: 43,
    check: (v) =>
      v
        .split(',')
        .map((k) => masterKeyProblem(k))
        .find((p) => p !== null) ?? null,
    description:
      'Comma-separated earlier master keys still accepted for reading while `secrets rotate` re-encrypts',
  }),
  string('secrets.keyFile', {
    env: 'ALGOGATE_MASTER_KEY_FILE',
    default: null,
    description:
      'Master key ring file (0600), never inside dataDir; unset: <dataDir>-keys/master-keys.json beside it',
  }),

  // --- resource monitoring -------------------------------------------------------------------------------
  int('resources.memoryPercent', {
    env: 'ALGOGATE_RESOURCES_MEMORY_PERCENT',
    default: 80,
    min: 1,
    max: 100,
    hot: true,
    description: 'System memory in use (percent) that raises a resource alert',
  }),
  int('resources.cpuPercent', {
    env: 'ALGOGATE_RESOURCES_CPU_PERCENT',
    default: 80,
    min: 1,
    max: 100,
    hot: true,
    description: 'System CPU busy over a sampling interval (percent) that raises a resource alert',
  }),
  int('resources.diskPercent', {
    env: 'ALGOGATE_RESOURCES_DISK_PERCENT',
    default: 85,
    min: 1,
    max: 100,
    hot: true,
    description: 'Disk of the data directory in use (percent) that raises a resource alert',
  }),
  int('resources.fdPercent', {
    env: 'ALGOGATE_RESOURCES_FD_PERCENT',
    default: 80,
    min: 1,
    max: 100,
    hot: true,
    description: 'Open file descriptors, percent of the soft limit, that raise a resource alert',
  }),
  duration('resources.eventLoopLagMs', {
    env: 'ALGOGATE_RESOURCES_EVENT_LOOP_LAG_MS',
    default: 200,
    min: 1,
    max: 60_000,
    hot: true,
    description: 'Event-loop delay (p99 over a sampling interval) that raises a resource alert',
  }),
  int('resources.growthMbPerHour', {
    env: 'ALGOGATE_RESOURCES_GROWTH_MB_PER_HOUR',
    default: 50,
    min: 1,
    max: 100_000,
    hot: true,
    description:
      'Steady process memory growth (MB per hour, least squares with R² >= 0.9) reported as a leak suspect',
  }),
  duration('resources.sampleIntervalMs', {
    env: 'ALGOGATE_RESOURCES_SAMPLE_MS',
    default: 15_000,
    min: 1_000,
    max: 3_600_000,
    description: 'How often CPU, memory, disk, descriptors and event-loop delay are sampled',
  }),

  // --- deployment, backup and scale-out ------------------------------------------------------------------
  bool('cluster.enabled', {
    env: 'ALGOGATE_CLUSTER',
    default: false,
    description:
      'on: several instances share DATABASE_URL and REDIS_URL; one trading leader owns the books, the others forward to it',
  }),
  secret('cluster.secret', {
    env: 'ALGOGATE_CLUSTER_SECRET',
    description: 'Shared secret signing requests forwarded between instances (required in cluster mode)',
  }),
  url('cluster.advertiseUrl', {
    env: 'ALGOGATE_CLUSTER_ADVERTISE_URL',
    default: null,
    protocols: ['http:', 'https:'],
    hint: 'the address other instances reach this one at, like http://10.0.0.5:5000',
    description:
      'URL other instances forward trading requests to when this one leads (unset: http://host:port)',
  }),
  string('cluster.redisPrefix', {
    env: 'ALGOGATE_CLUSTER_REDIS_PREFIX',
    default: 'algogate:',
    pattern: /^[A-Za-z0-9:_.-]{1,64}$/,
    patternText: 'letters, digits and : _ . - (at most 64)',
    description: 'Prefix of every Redis key and channel of one cluster (leader lease, instances, streams)',
  }),
  duration('cluster.leaseMs', {
    env: 'ALGOGATE_CLUSTER_LEASE',
    default: 5_000,
    min: 1_000,
    max: 60_000,
    description:
      'Lifetime of the advertised leader address in Redis; renewed every third of it by the leader',
  }),
  string('socket', {
    env: 'ALGOGATE_SOCKET',
    default: null,
    pattern: /^\/\S+$/,
    patternText: 'an absolute path',
    description:
      'Unix socket to listen on instead of host:port, for nginx on the same host (mode 0660: nginx needs the group)',
  }),
  // Backups (docs/adr/0018): schedule, where they go, retention, the key. Read at startup (restart to change).
  string('backup.schedule', {
    env: 'ALGOGATE_BACKUP_SCHEDULE',
    default: 'off',
    pattern: /^(off|daily ([01]?\d|2[0-3]):[0-5]\d|every (1|2|3|4|6|8|12|24)h)$/,
    patternText: 'off, "daily HH:MM" (24-hour IST) or "every Nh" (N = 1, 2, 3, 4, 6, 8, 12 or 24)',
    description:
      'Scheduled backups: off, daily HH:MM (IST) or every Nh; one instance of several runs each slot; needs a backup key',
  }),
  string('backup.dir', {
    env: 'ALGOGATE_BACKUP_DIR',
    default: './backups',
    description: 'Where backup create and scheduled backups write, and backup list looks',
  }),
  int('backup.keepDaily', {
    env: 'ALGOGATE_BACKUP_KEEP_DAILY',
    default: 7,
    min: 0,
    max: 3650,
    description: 'Retention: keep the newest backup of each of the last N days (IST)',
  }),
  int('backup.keepWeekly', {
    env: 'ALGOGATE_BACKUP_KEEP_WEEKLY',
    default: 4,
    min: 0,
    max: 520,
    description: 'Retention: keep the newest backup of each of the last M ISO weeks',
  }),
  string('backup.copyTo', {
    env: 'ALGOGATE_BACKUP_COPY_TO',
    default: null,
    description: 'A second directory (other disk, mounted share) that receives each scheduled backup',
  }),
  url('backup.s3.endpoint', {
    env: 'ALGOGATE_BACKUP_S3_ENDPOINT',
    default: null,
    protocols: ['https:', 'http:'],
    description:
      'S3-compatible endpoint for an off-box copy of each scheduled backup (path-style PUT, SigV4)',
  }),
  string('backup.s3.bucket', {
    env: 'ALGOGATE_BACKUP_S3_BUCKET',
    default: null,
    description: 'S3 bucket (required with an endpoint)',
  }),
  string('backup.s3.region', {
    env: 'ALGOGATE_BACKUP_S3_REGION',
    default: 'us-east-1',
    description: 'SigV4 signing region of the S3 endpoint',
  }),
  string('backup.s3.prefix', {
    env: 'ALGOGATE_BACKUP_S3_PREFIX',
    default: '',
    description: 'Object key prefix in the bucket, e.g. algogate/',
  }),
  string('backup.s3.accessKeyId', {
    env: 'ALGOGATE_BACKUP_S3_ACCESS_KEY_ID',
    default: null,
    description: 'S3 access key id (required with an endpoint)',
  }),
  secret('backup.s3.secretAccessKey', {
    env: 'ALGOGATE_BACKUP_S3_SECRET_ACCESS_KEY',
    minLength: 8,
    description: 'S3 secret access key (required with an endpoint)',
  }),
  secret('backup.key', {
    env: 'ALGOGATE_BACKUP_KEY',
    minLength: 44,
    description:
      'The 32-byte backup key as base64 or hex (algogate backup keygen); prefer backup.keyFile; never store it beside the data',
  }),
  string('backup.keyFile', {
    env: 'ALGOGATE_BACKUP_KEY_FILE',
    default: null,
    description: 'File holding the backup key (algogate backup keygen --out FILE), kept off the data disk',
  }),
] as const;

/** Any entry of SETTINGS. */
export type AnySetting = (typeof SETTINGS)[number];
export type SettingKey = AnySetting['key'];

type Head<K extends string> = K extends `${infer H}.${string}` ? H : K;
type Below<E, H extends string> = E extends { readonly key: `${H}.${infer R}`; readonly default: infer T }
  ? { readonly key: R; readonly default: T }
  : never;

/** The nested object type described by a list of dotted keys: `trading.broker` -> `{ trading: { broker } }`. */
export type ConfigOf<E extends { readonly key: string; readonly default: unknown }> = {
  readonly [H in Head<E['key']>]: [Below<E, H>] extends [never]
    ? Extract<E, { readonly key: H }>['default']
    : ConfigOf<Below<E, H>>;
};

/** Every setting as the services receive it. */
export type Config = ConfigOf<AnySetting>;

/** Reads the value at a dotted key. */
export function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Sets the value at a dotted key, creating objects on the way (used while building a Config). */
export function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== 'object') cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] ?? ''] = value;
}

/** The entry for a dotted key, if any. */
export function settingFor(key: string): Setting | undefined {
  return (SETTINGS as readonly Setting[]).find((s) => s.key === key);
}

/** Builds a Config of the defaults (a fresh object each call). */
export function defaultConfig(): Config {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS as readonly Setting[]) setPath(out, s.key, s.default);
  return out as unknown as Config;
}
