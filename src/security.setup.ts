// Wires identity, sessions, TOTP, the security event trail and cross-instance invalidation (docs/adr/0012).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { registerAdminRoutes } from './http/ops/admin.routes.js';
import { registerAuthRoutes } from './http/ops/auth.routes.js';
import { createAuthenticator } from './http/plugins/authenticate.js';
import type { OpsAuthenticator } from './http/plugins/ops-auth.plugin.js';
import type { Metrics } from './observability/metrics.js';
import type { CredentialVault } from './platform/credential-vault.js';
import { argon2Hasher } from './platform/argon2-hasher.js';
import { RedisSecurityBus } from './platform/redis-security-bus.js';
import { timeIds } from './platform/time-ids.js';
import { hourSlot } from './services/scheduled-jobs.js';
import type { Clock } from './ports/clock.js';
import { silentLogger, type Logger } from './ports/logger.js';
import { localSecurityBus, type SecurityBus, type SecurityMessage } from './ports/security-bus.js';
import { AuthService, SessionRevocations } from './services/auth.service.js';
import type { IdentityService } from './services/identity.service.js';
import { SecurityEventsService } from './services/security-events.service.js';
import { TotpService, type TotpSeeds } from './services/totp.service.js';
import type { SqlDriver } from './store/driver.js';
import { SqlSecurityStore } from './store/security-store.js';
import type { SqlStore } from './store/sql-store.js';

/** A secret from the environment, else a 0600 file under `<dataDir>/keys` created on first start. */
export function loadKeyFile(dataDir: string, name: string, bytes: number): Buffer {
  const dir = join(dataDir, 'keys');
  const file = join(dir, name);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(bytes).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another instance sharing the data dir created it first.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

/** What the wiring needs from the runtime (main.ts's Runtime has it). */
export interface SecurityRuntime {
  readonly opened: { readonly driver: SqlDriver; readonly store: SqlStore };
  readonly identity: IdentityService;
  readonly clock: Clock;
  /** The encrypted credential store: TOTP seeds are sealed there under the master key ring. */
  readonly credentials: CredentialVault;
}

export interface SecurityOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Redis for cross-instance invalidation (sessions, keys, users); none: this instance only. */
  readonly redisUrl?: string | undefined;
  readonly channel?: string | undefined;
  /** Runs a scheduled job once per slot across instances (docs/adr/0019); absent: run here every time. */
  readonly jobs?: { runOnce(job: string, slot: string, fn: () => Promise<unknown>): Promise<boolean> };
}

export interface SecurityWiring {
  readonly events: SecurityEventsService;
  readonly auth: AuthService;
  readonly authenticate: OpsAuthenticator;
  readonly routes: (app: FastifyInstance) => void;
  /** Writes buffered security events. */
  flush(): Promise<void>;
  /** Resolves once the next invalidation from another instance has been applied here (tests). */
  nextRemoteMessage(): Promise<SecurityMessage>;
  close(): Promise<void>;
}

export async function setupSecurity(
  config: Config,
  runtime: SecurityRuntime,
  options: SecurityOptions,
): Promise<SecurityWiring> {
  const o = {
    ...options,
    driver: runtime.opened.driver,
    users: runtime.opened.store,
    identity: runtime.identity,
  };
  const { clock } = runtime;
  const log = o.logger.child({ component: 'security' });
  const store = new SqlSecurityStore(o.driver);
  let bus: SecurityBus = localSecurityBus;
  let redis: RedisSecurityBus | null = null;
  if (o.redisUrl !== undefined && o.redisUrl !== '') {
    redis = new RedisSecurityBus(o.redisUrl, log, o.channel);
    await redis.start();
    bus = redis;
  }
  const events = new SecurityEventsService(
    store,
    clock,
    timeIds(clock),
    (type) => o.metrics.securityEvents.inc({ type }),
    log,
    () => config.security.eventRetentionDays,
  );
  const revocations = new SessionRevocations(store, bus, clock);
  await revocations.load();
  o.identity.notify = (m) => bus.publish(m);
  let waiters: ((m: SecurityMessage) => void)[] = [];
  bus.onMessage((m) => {
    if (m.kind === 'session_revoked') revocations.remember(m.jti, m.expiresAt);
    const applied = m.kind === 'session_revoked' ? Promise.resolve() : o.identity.handle(m);
    applied
      .catch((err: unknown) => log.warn({ err, kind: m.kind }, 'could not apply a security message'))
      .finally(() => {
        const ready = waiters;
        waiters = [];
        for (const w of ready) w(m);
      });
  });
  bus.onResync(() => {
    revocations.load().catch((err: unknown) => log.warn({ err }, 'could not reload revoked sessions'));
  });
  const seedName = (userId: string): string => `totp/${userId}`;
  const seeds: TotpSeeds = {
    put: (userId, base32) => runtime.credentials.set(seedName(userId), base32),
    get: (userId) => runtime.credentials.get(seedName(userId)),
    remove: async (userId) => {
      await runtime.credentials.delete(seedName(userId));
    },
  };
  const totp = new TotpService(o.users, seeds, clock, events, (id) => o.identity.userChanged(id));
  const jwtSecret =
    config.security.jwtSecret !== null
      ? Buffer.from(config.security.jwtSecret)
      : loadKeyFile(config.dataDir, 'jwt-secret', 32);
  const auth = new AuthService(
    o.users,
    o.identity,
    store,
    argon2Hasher,
    totp,
    revocations,
    events,
    clock,
    jwtSecret,
    () => config.security,
  );
  const authenticator = createAuthenticator({
    auth,
    identity: o.identity,
    events,
    adminAllowList: () => config.security.adminAllowList,
  });
  const guard = (what: string, p: () => Promise<unknown>) => () => {
    p().catch((err: unknown) => log.warn({ err }, `${what} failed`));
  };
  // Retention runs on one instance per hour across a cluster.
  const hourly = (job: string, fn: () => Promise<unknown>) => () =>
    o.jobs ? o.jobs.runOnce(job, hourSlot(clock.now()), fn) : fn();
  const timers = [
    clock.every(
      1_000,
      guard('security event flush', () => events.flush()),
    ),
    clock.every(
      3_600_000,
      guard(
        'security event prune',
        hourly('security-event-prune', () => events.prune()),
      ),
    ),
    clock.every(
      3_600_000,
      guard(
        'revoked session prune',
        hourly('revoked-session-prune', () => revocations.prune()),
      ),
    ),
  ];
  return {
    events,
    auth,
    authenticate: (request) => authenticator.authenticate(request),
    routes: (app) => {
      registerAuthRoutes(app, {
        auth,
        totp,
        identity: o.identity,
        events,
        secureCookies: (request) =>
          config.env === 'production' || (request as { clientProtocol?: string }).clientProtocol === 'https',
        sessionOf: (request) => authenticator.sessionOf(request),
      });
      registerAdminRoutes(app, { identity: o.identity, totp, events, trail: events });
    },
    flush: () => events.flush(),
    nextRemoteMessage: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      for (const t of timers) t();
      await events.flush();
      await redis?.close();
    },
  };
}

/**
 * Tells running instances (over Redis, when configured) that a key revoked by the CLI must stop at once.
 * Returns false when Redis could not be told (instances then drop the key within the 30 s cache TTL).
 */
export async function announceKeyRevoked(config: Config, keyId: string): Promise<boolean> {
  if (config.redisUrl === null || config.redisUrl === '') return true;
  const bus = new RedisSecurityBus(config.redisUrl, silentLogger);
  try {
    await bus.start();
    await bus.publishNow({ kind: 'key_revoked', keyId });
    return true;
  } catch {
    return false;
  } finally {
    await bus.close();
  }
}
