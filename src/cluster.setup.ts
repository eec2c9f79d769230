// Scale-out wiring: trading leader election, its advertised address, the instance list (docs/adr/0019).
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import type { ClusterGate, ForwardingOptions } from './http/plugins/cluster-forward.plugin.js';
import { PgLeaderLock } from './platform/pg-leader-lock.js';
import { RedisClusterRegistry, type InstanceInfo, type LeaderAd } from './platform/redis-cluster-registry.js';
import { istDate, istEpoch } from './domain/market-calendar.js';
import type { Broker } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import type { TradingStore } from './ports/store.js';
import type { IdempotencyService } from './services/idempotency.service.js';
import type { IdentityService } from './services/identity.service.js';
import type { ReconciliationService } from './services/reconciliation.service.js';
import { hourSlot, minuteSlot, type ScheduledJobs } from './services/scheduled-jobs.js';
import type { SettlementService } from './services/settlement.service.js';
import type { TradingState } from './services/trading-state.js';

/** Why cluster mode cannot start with this configuration (empty when it can). */
export function clusterProblems(config: Config): string[] {
  if (!config.cluster.enabled) return [];
  const problems: string[] = [];
  const need = 'cluster mode (ALGOGATE_CLUSTER=on) needs';
  if (config.databaseUrl === null || config.databaseUrl === '')
    problems.push(`${need} DATABASE_URL: every instance shares one PostgreSQL database`);
  if (config.redisUrl === null || config.redisUrl === '')
    problems.push(`${need} REDIS_URL: instances find the trading leader and share streams through Redis`);
  if (config.security.apiKeyPepper === null)
    problems.push(
      `${need} ALGOGATE_API_KEY_PEPPER: the same value on every instance, so API keys verify anywhere`,
    );
  if (config.cluster.secret === null)
    problems.push(
      `${need} ALGOGATE_CLUSTER_SECRET: the same value on every instance, signing forwarded requests`,
    );
  if (config.cluster.advertiseUrl === null && (config.port === 0 || ['0.0.0.0', '::'].includes(config.host)))
    problems.push(
      `${need} ALGOGATE_CLUSTER_ADVERTISE_URL when listening on ${config.host}:${config.port}: other instances must know where to reach this one`,
    );
  return problems;
}

/** Refuses to start cluster mode without its shared resources, with every reason at once. */
export function assertClusterReady(config: Config): void {
  const problems = clusterProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The cluster as /system/status shows it. */
export interface ClusterView {
  readonly self: string;
  readonly role: 'leader' | 'follower' | 'promoting';
  readonly leader: LeaderAd | null;
  readonly instances: readonly InstanceInfo[];
}

export interface ClusterNode {
  readonly instanceId: string;
  readonly gate: ClusterGate;
  readonly forwarding: ForwardingOptions;
  /** Starts heartbeats, leader discovery and the election; `url` is where this instance listens. */
  start(url: string): Promise<void>;
  view(): Promise<ClusterView>;
  close(): Promise<void>;
}

export interface ClusterNodeOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instanceId: string;
  /** Reload the books from the database, start brokers, reconcile, start the leader's jobs. */
  readonly takeOver: () => Promise<void>;
  /** Leadership is gone (or could not be taken over): the process must stop trading now. Default: exit. */
  readonly onLost?: (why: string) => void;
}

/** Follower poll of the advertised leader, and the instance heartbeat. */
const DISCOVERY_MS = 500;

export function createClusterNode(opts: ClusterNodeOptions): ClusterNode {
  const { config, clock, logger: log, instanceId } = opts;
  assertClusterReady(config);
  const leaseMs = config.cluster.leaseMs;
  const registry = new RedisClusterRegistry(config.redisUrl ?? '', config.cluster.redisPrefix, log);
  let role: ClusterView['role'] = 'follower';
  let known: LeaderAd | null = null;
  let unreachableUntil = 0;
  let self: LeaderAd | null = null;
  const startedAt = clock.now();
  const timers: NodeJS.Timeout[] = [];
  const onLost =
    opts.onLost ??
    ((why: string) => {
      log.fatal(
        { why },
        'trading leadership lost: exiting so a supervisor restarts this instance as a follower',
      );
      setTimeout(() => process.exit(75), 100).unref();
    });
  const lost = (why: string): void => {
    role = 'promoting';
    onLost(why);
  };

  const lock = new PgLeaderLock(
    {
      connectionString: config.databaseUrl ?? '',
      intervalMs: 1_000,
      onAcquired: () => {
        role = 'promoting';
        log.warn({ instance: instanceId }, 'won the trading leader lock: loading the books');
        opts.takeOver().then(
          async () => {
            if (!lock.isLeader()) return;
            role = 'leader';
            await registry.advertise(self ?? { id: instanceId, url: '' }, leaseMs).catch((e: unknown) => {
              log.warn({ err: e }, 'could not advertise leadership in redis');
            });
            log.warn({ instance: instanceId, url: self?.url }, 'trading leader: serving the books');
          },
          (e: unknown) => {
            log.error({ err: e }, 'taking over the books failed');
            lost(`take-over failed: ${String(e)}`);
          },
        );
      },
      onLost: lost,
    },
    log,
  );

  const heartbeat = async (): Promise<void> => {
    const now = clock.now();
    await registry.heartbeat({ id: instanceId, url: self?.url ?? '', role, startedAt, lastSeen: now });
    if (role === 'leader' && self) await registry.advertise(self, leaseMs);
    else if (role === 'follower') known = await registry.leader();
  };
  const guarded = (what: string, fn: () => Promise<void>) => () => {
    fn().catch((e: unknown) => {
      log.warn({ err: e }, `cluster ${what} failed`);
    });
  };

  return {
    instanceId,
    gate: {
      role: () => role,
      leaderUrl: () =>
        known === null || known.url === '' || clock.now() < unreachableUntil ? null : known.url,
      leaderUnreachable: (url) => {
        if (known?.url === url) unreachableUntil = clock.now() + DISCOVERY_MS;
      },
    },
    forwarding: {
      secret: config.cluster.secret ?? '',
      bodyLimit: config.bodyLimit,
      timeoutMs: config.trading.brokerTimeoutMs + 10_000,
      now: () => clock.now(),
    },
    async start(url: string) {
      self = { id: instanceId, url: config.cluster.advertiseUrl ?? url };
      await registry.start();
      await heartbeat();
      // Followers look for the leader often; the leader renews its lease (and heartbeat) at the same pace.
      timers.push(
        setInterval(guarded('discovery', heartbeat), Math.min(DISCOVERY_MS, Math.floor(leaseMs / 3))),
      );
      lock.start();
    },
    async view() {
      return {
        self: instanceId,
        role,
        leader: role === 'leader' ? self : known,
        instances: await registry.instances(clock.now()),
      };
    },
    async close() {
      for (const t of timers) clearInterval(t);
      const wasLeader = role === 'leader';
      role = 'promoting';
      await lock.stop();
      if (wasLeader && self) await registry.withdraw(self).catch(() => undefined);
      await registry.leave(instanceId).catch(() => undefined);
      await registry.close();
    },
  };
}

/** The parts of the runtime that trade (the book owner's work). */
export interface TradingParts {
  readonly state: TradingState;
  readonly store: TradingStore;
  readonly identity: IdentityService;
  readonly idempotency: IdempotencyService;
  readonly brokers: ReadonlyMap<string, Broker>;
  readonly reconciliation: ReconciliationService;
  readonly settlement: SettlementService;
  readonly jobs: ScheduledJobs;
  readonly clock: Clock;
}

export interface TradingWiring {
  /** Present in cluster mode; start it once listening (startServer does). */
  readonly cluster?: ClusterNode;
  /** Stops the background jobs started here. */
  stop(): void;
}

/**
 * Only the owner of the books trades: a single instance starts brokers, reconciliation and settlement at
 * once; in a cluster that happens when this instance wins the leader lock, after reloading the books.
 * Jobs any instance may run (idempotency-key pruning) start everywhere and claim their slot.
 */
export async function setupTrading(
  config: Config,
  parts: TradingParts,
  logger: Logger,
): Promise<TradingWiring> {
  const c = parts.clock;
  const timers: (() => void)[] = [];
  const guard = (what: string, p: () => Promise<unknown>) => () => {
    p().catch((e: unknown) => {
      logger.error({ err: e }, `${what} failed`);
    });
  };
  const startTrading = async (): Promise<void> => {
    if (config.cluster.enabled) {
      // Taking over from a leader that died: the database is the truth, as after a restart.
      await parts.state.load(parts.store, istEpoch(istDate(c.now()), '00:00'));
      await parts.identity.ensureAllAccounts();
      parts.idempotency.beginEpoch();
    }
    for (const b of parts.brokers.values()) await b.start();
    const report = await parts.reconciliation.reconcile();
    logger.info({ ...report }, 'startup reconciliation done');
    await parts.settlement.tick();
    timers.push(
      c.every(
        30_000,
        guard('reconciliation', () => parts.reconciliation.reconcile()),
      ),
      c.every(
        60_000,
        guard('settlement', () =>
          parts.jobs.runOnce('settlement', minuteSlot(c.now()), () => parts.settlement.tick()),
        ),
      ),
    );
  };
  const cluster = config.cluster.enabled
    ? createClusterNode({
        config,
        clock: c,
        logger,
        instanceId: parts.jobs.instanceId,
        takeOver: startTrading,
      })
    : undefined;
  if (!cluster) await startTrading();
  // Any instance may prune; the hourly slot's claim makes it one of them.
  const prune = guard('idempotency prune', () =>
    parts.jobs.runOnce('idempotency-prune', hourSlot(c.now()), () => parts.store.pruneIdempotency(c.now())),
  );
  prune();
  timers.push(c.every(15_000, prune));
  return {
    ...(cluster ? { cluster } : {}),
    stop() {
      for (const t of timers.splice(0)) t();
    },
  };
}

/** Redis names of one cluster (its prefix), or the defaults of a single instance. */
export function clusterRedisNames(config: Config): {
  orderChannel?: string;
  ticks?: { channel: string; leaseKey: string };
  rateLimitPrefix?: string;
  securityChannel?: string;
} {
  if (!config.cluster.enabled) return {};
  const p = config.cluster.redisPrefix;
  return {
    orderChannel: `${p}orders`,
    ticks: { channel: `${p}ticks`, leaseKey: `${p}ticks:publisher` },
    rateLimitPrefix: `${p}rl:`,
    securityChannel: `${p}security`,
  };
}
