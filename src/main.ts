// Composition root: config -> store -> market -> brokers -> services -> http; lifecycle and signals.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { setupAbuse, type AbuseSetup } from './abuse.setup.js';
import { PaperBroker } from './brokers/paper/paper.adapter.js';
import { MarketSimulator } from './brokers/paper/market/market-simulator.js';
import type { ConfigSource, LiveConfig } from './config/live-config.js';
import { assertClusterReady, clusterRedisNames, setupTrading, type ClusterNode } from './cluster.setup.js';
import type { Config } from './config/schema.js';
import { openCredentialVault, setupConfig } from './config.setup.js';
import type { CredentialVault } from './platform/credential-vault.js';
import { BundledInstruments, buildInstrumentMaster } from './domain/instruments/index.js';
import { istDate, istEpoch } from './domain/market-calendar.js';
import { buildApp } from './http/app.js';
import { createObservability, type Observability } from './observability.setup.js';
import type { Metrics } from './observability/metrics.js';
import { setupSecurity, type SecurityWiring } from './security.setup.js';
import { startBackupSchedule } from './backup.setup.js';
import { attachWsServer, type WsServerHandle, type WsServerOptions } from './http/ws/ws.server.js';
import { argon2Hasher } from './platform/argon2-hasher.js';
import { RedisOrderBus } from './platform/redis-order-bus.js';
import { RedisTickBus, type TickBusOptions } from './platform/redis-tick-bus.js';
import { systemClock } from './platform/system-clock.js';
import { timeIds } from './platform/time-ids.js';
import type { Broker } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { LatencyRecorder } from './ports/latency.js';
import type { Logger } from './ports/logger.js';
import { CompositeOrders } from './services/composite-orders.js';
import { Execution } from './services/execution.js';
import { IdempotencyService } from './services/idempotency.service.js';
import { IdentityService, sandboxAccountId } from './services/identity.service.js';
import { MarketDataService } from './services/market-data.service.js';
import { OptionsOrders } from './services/options-orders.js';
import { OptionsService } from './services/options.service.js';
import { OrderService } from './services/order.service.js';
import { PortfolioService } from './services/portfolio.service.js';
import { ReconciliationService } from './services/reconciliation.service.js';
import { ScheduledJobs } from './services/scheduled-jobs.js';
import { Risk } from './services/risk.js';
import { SettlementService } from './services/settlement.service.js';
import { TradingState } from './services/trading-state.js';
import { openStore, type OpenedStore } from './store/open.js';
import { createResilience, type Resilience } from './resilience.setup.js';
import { listen } from './listen.setup.js';

export const VERSION = '0.1.0';

/** The pepper keying API-key hashes: from the settings (env/file), else a 0600 file created on first start. */
export function loadPepper(dataDir: string, configured: string | null): Buffer {
  if (configured !== null && configured !== '') {
    if (configured.length < 32) throw new Error('ALGOGATE_API_KEY_PEPPER must be at least 32 characters');
    return Buffer.from(configured);
  }
  const dir = join(dataDir, 'keys');
  const file = join(dir, 'api-key-pepper');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return Buffer.from(readFileSync(file, 'utf8').trim());
}

export interface Runtime {
  readonly config: Config;
  readonly opened: OpenedStore;
  readonly clock: Clock;
  readonly state: TradingState;
  readonly identity: IdentityService;
  readonly orders: OrderService;
  readonly composite: CompositeOrders;
  readonly portfolio: PortfolioService;
  readonly marketData: MarketDataService;
  readonly idempotency: IdempotencyService;
  readonly reconciliation: ReconciliationService;
  readonly settlement: SettlementService;
  /** Claims of scheduled jobs in the shared database: each (job, slot) runs on one instance. */
  readonly jobs: ScheduledJobs;
  readonly market: MarketSimulator;
  readonly instruments: BundledInstruments;
  readonly brokers: ReadonlyMap<string, Broker>;
  /** Applies broker events; its `onOrder` feeds WebSocket order updates. */
  readonly execution: Execution;
  /** Broker breakers, the error trail and the shutdown gate (src/resilience.setup.ts). */
  readonly resilience: Resilience;
  /** Encrypted broker credentials and tokens (docs/adr/0014). */
  readonly credentials: CredentialVault;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly onFatal?: (e: unknown) => void;
  /** Extra broker adapters beside the paper exchange (tests inject fault-injecting fakes here). */
  readonly brokers?: readonly Broker[];
  /** Finished orders and fills per account kept in memory (defaults in trading-state.ts). */
  readonly bookMemory?: { readonly orders: number; readonly fills: number };
  /** Receives per-order stage timings. */
  readonly latency?: LatencyRecorder;
}

/** Builds every service over the configured store. Does not start brokers or timers. */
export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const log = options.logger;
  const opened = await openStore(config, clock.now());
  const { store } = opened;
  const trading = (): Config['trading'] => config.trading;
  const ids = timeIds(clock);
  const instruments = new BundledInstruments(buildInstrumentMaster(istDate(clock.now())));
  // The default always-open market also moves around the clock; `exchange` sessions follow IST hours.
  const market = new MarketSimulator({
    seed: config.seed,
    instruments,
    clock,
    continuous: config.trading.sessions === 'always',
  });
  const state = new TradingState(options.bookMemory?.orders, options.bookMemory?.fills);
  const execution = new Execution(state, store, clock, log, options.onFatal ?? (() => undefined));
  const paper = new PaperBroker(market, store, ids, clock, log.child({ component: 'paper' }), {
    sessions: () => config.trading.sessions,
  });
  const resilience = createResilience(config, clock, log.child({ component: 'resilience' }));
  const brokers = new Map<string, Broker>([[paper.name, resilience.wrap(paper)]]);
  for (const b of options.brokers ?? []) brokers.set(b.name, resilience.wrap(b));
  for (const b of brokers.values()) b.onEvent((e) => execution.handle(e, b.name));
  const risk = new Risk(instruments, market, () => config.trading.leverage);
  const orders = new OrderService(
    state,
    store,
    execution,
    risk,
    instruments,
    brokers,
    clock,
    ids,
    trading,
    log,
    options.latency,
  );
  const composite = new CompositeOrders(orders, state);
  const identity = new IdentityService(
    store,
    store,
    state,
    argon2Hasher,
    loadPepper(config.dataDir, config.security.apiKeyPepper),
    clock,
    ids,
    () => config.trading.startingCapital,
    () => config.trading.broker,
    () => istDate(clock.now()),
  );
  const today = istDate(clock.now());
  await state.load(store, istEpoch(today, '00:00'));
  await identity.ensureAllAccounts();
  const systemContext = (accountId: string) => ({
    userId: accountId.replace(/\.sandbox$/, ''),
    username: 'system',
    keyId: 'system',
    scopes: ['trade' as const],
    accountId,
    broker: accountId.endsWith('.sandbox') ? 'paper' : config.trading.broker,
    mode: accountId.endsWith('.sandbox') ? ('analyze' as const) : ('live' as const),
    requestId: null,
  });
  const jobs = new ScheduledJobs(store, clock, randomUUID(), log.child({ component: 'jobs' }));
  return {
    config,
    opened,
    clock,
    state,
    identity,
    orders,
    composite,
    portfolio: new PortfolioService(state, store, risk, instruments, market, () => config.trading.leverage),
    marketData: new MarketDataService(market, instruments, market, clock),
    idempotency: new IdempotencyService(store, clock, () => config.trading.idempotencyTtlMs),
    reconciliation: new ReconciliationService(state, execution, brokers, clock, log, resilience.tracker),
    settlement: new SettlementService(
      state,
      store,
      composite,
      clock,
      trading,
      systemContext,
      log,
      (job, slot) => jobs.claim(job, slot),
    ),
    jobs,
    market,
    instruments,
    brokers,
    execution,
    resilience,
    credentials: openCredentialVault(config, opened.driver, clock),
    async close() {
      for (const b of brokers.values()) await b.stop();
      market.stop();
      await store.close();
      await opened.driver.close();
    },
  };
}

export interface Server {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly url: string;
  /** The WebSocket endpoint (`/ws` on the same port); present once listening. */
  readonly ws?: WsServerHandle;
  /** The Redis tick stream, when `REDIS_URL` is set (see docs/adr/0011). */
  readonly ticks?: { isLeader(): boolean };
  readonly bootstrap: { username: string; password: string; apiKey: string } | null;
  /** Sessions, TOTP, the security event trail and cross-instance invalidation (security.setup.ts). */
  readonly security: SecurityWiring;
  /** This server's metrics registry. */
  readonly metrics: Metrics;
  /** The running configuration (hot reload, /config routes). */
  readonly liveConfig: LiveConfig;
  /** Scale-out membership when `cluster.enabled` (see docs/adr/0019); started once listening. */
  readonly cluster?: ClusterNode;
  /** Metrics, health probes, latency monitor and the status hooks other parts plug into. */
  readonly observability: Observability;
  /** IP bans (manual ban/unban, tests) and the WebSocket upgrade guard. */
  readonly abuse: Pick<AbuseSetup, 'bans' | 'admitUpgrade'>;
  close(): Promise<void>;
}

/**
 * Builds the whole server without listening. Order: store, brokers, reconciliation (trading opens only
 * after our books agree with the brokers), background jobs, then the HTTP app.
 */
export interface BuildOptions {
  readonly clock?: Clock;
  /** Extra broker adapters beside the paper exchange (tests inject fault-injecting fakes here). */
  readonly brokers?: readonly Broker[];
  readonly bookMemory?: RuntimeOptions['bookMemory'];
  /** Redis shared by instances (rate limits, bans, session/key invalidation); startServer passes `REDIS_URL`. */
  readonly redisUrl?: string;
  /** Key prefix of the shared rate-limit counters (tests isolate themselves with their own). */
  readonly rateLimitPrefix?: string;
  /** Where `config` came from, for reloads and PUT /config/update; `watch` reloads on file change and SIGHUP. */
  readonly configSource?: ConfigSource & { readonly watch?: boolean };
  /** Pub/sub channel invalidating sessions and keys across instances (tests isolate themselves). */
  readonly securityChannel?: string;
  /** Redis channel announcing IP ban changes (tests isolate themselves with their own). */
  readonly banChannel?: string;
}

export async function buildServer(
  config: Config,
  logger: PinoLogger,
  opts: BuildOptions = {},
): Promise<Omit<Server, 'url'>> {
  const { clock, brokers, bookMemory } = opts;
  assertClusterReady(config);
  let fatal = false;
  const obs = createObservability(config, VERSION, opts.redisUrl ?? config.redisUrl);
  const runtime = await createRuntime(config, {
    logger,
    latency: obs.latency,
    ...(clock ? { clock } : {}),
    ...(brokers ? { brokers } : {}),
    ...(bookMemory ? { bookMemory } : {}),
    onFatal: () => {
      fatal = true;
    },
  });
  const bootstrap = await runtime.identity.bootstrap();
  runtime.market.start();
  const trading = await setupTrading(config, { ...runtime, store: runtime.opened.store }, logger);
  const { cluster } = trading;
  const stopUsageFlush = runtime.clock.every(60_000, () => {
    runtime.identity
      .flushUsage()
      .catch((e: unknown) => logger.error({ err: e }, 'api key usage flush failed'));
  });

  const claim = (job: string, slot: string) => runtime.jobs.claim(job, slot);
  const configFile = opts.configSource?.file;
  const stopBackups = startBackupSchedule({
    config,
    clock: runtime.clock,
    logger,
    appVersion: VERSION,
    configFile,
    claim,
  });

  const options = new OptionsService(runtime.market, runtime.instruments, runtime.clock);
  const metrics = obs.metrics;
  obs.attach(runtime, () => !fatal);
  const securityOpts = {
    metrics,
    logger,
    redisUrl: opts.redisUrl,
    channel: opts.securityChannel ?? clusterRedisNames(config).securityChannel,
    jobs: runtime.jobs,
  };
  const security = await setupSecurity(config, runtime, securityOpts);
  const abuse = await setupAbuse(config, logger, {
    metrics,
    securityEvents: security.events,
    observeTrail: (listener) => security.events.observe(listener),
    clock: runtime.clock,
    db: runtime.opened.driver,
    redisUrl: opts.redisUrl,
    redisPrefix: opts.rateLimitPrefix ?? clusterRedisNames(config).rateLimitPrefix,
    banChannel: opts.banChannel,
  });
  const app = await buildApp({
    logger,
    bodyLimit: config.bodyLimit,
    identity: runtime.identity,
    orders: runtime.orders,
    composite: runtime.composite,
    portfolio: runtime.portfolio,
    marketData: runtime.marketData,
    options,
    optionsOrders: new OptionsOrders(options, runtime.orders, runtime.composite),
    idempotency: runtime.idempotency,
    brokerName: () => config.trading.broker,
    version: VERSION,
    securityEvents: abuse.securityEvents,
    abuse: abuse.http,
    authenticate: security.authenticate,
    securityRoutes: security.routes,
    cluster: cluster
      ? { gate: cluster.gate, forwarding: cluster.forwarding, view: () => cluster.view() }
      : null,
    ...obs.appDeps(),
  });
  const detachResilience = runtime.resilience.attach(app, { metrics, securityEvents: security.events });
  obs.providers.resources ??= () => ({ host: runtime.resilience.resources() });
  const configSetup = setupConfig(app, {
    config,
    logger,
    securityEvents: abuse.securityEvents,
    ...(opts.configSource
      ? { source: opts.configSource, watch: opts.configSource.watch, sighup: opts.configSource.watch }
      : {}),
  });
  if (cluster) obs.attachCluster(cluster);
  obs.markReady();
  return {
    app,
    runtime,
    bootstrap,
    security,
    metrics,
    liveConfig: configSetup.live,
    ...(cluster ? { cluster } : {}),
    observability: obs,
    abuse,
    async close() {
      configSetup.close();
      trading.stop();
      stopUsageFlush();
      stopBackups();
      obs.markDraining();
      await app.close();
      detachResilience();
      await abuse.close();
      await security.close();
      obs.close();
      await runtime.identity.flushUsage().catch(() => undefined);
      await runtime.close();
      // The lock is released last: nobody else may trade these books while this process still does.
      await cluster?.close();
    },
  };
}

export interface StartOptions extends BuildOptions {
  /** WebSocket endpoint settings (tests shorten the auth grace and heartbeat). */
  readonly ws?: Partial<WsServerOptions>;
  /** Pub/sub channel of order updates (tests isolate themselves with their own). */
  readonly orderChannel?: string;
  /** Channel, publisher lease key and lease length of the Redis tick stream (tests shorten the lease). */
  readonly ticks?: Partial<TickBusOptions>;
}

/** Builds the server, listens on the configured host and port, and serves the WebSocket endpoint there. */
export async function startServer(
  config: Config,
  logger: PinoLogger,
  options: StartOptions = {},
): Promise<Server> {
  const redisUrl = options.redisUrl ?? config.redisUrl ?? undefined;
  const server = await buildServer(config, logger, {
    ...options,
    ...(redisUrl !== undefined && redisUrl !== '' ? { redisUrl } : {}),
  });
  let url: string;
  try {
    url = await listen(server.app, config);
  } catch (e) {
    await server.close();
    throw e;
  }
  const { runtime } = server;
  // One cluster's streams live under its prefix (two clusters may share a Redis).
  const names = clusterRedisNames(config);
  const orderChannel = options.orderChannel ?? names.orderChannel;
  const tickOptions = names.ticks ? { ...names.ticks, ...options.ticks } : options.ticks;
  let bus: RedisOrderBus | null = null;
  let ticks: RedisTickBus | null = null;
  if (redisUrl !== undefined && redisUrl !== '') {
    bus = new RedisOrderBus(
      redisUrl,
      runtime.execution,
      logger.child({ component: 'redis-orders' }),
      orderChannel,
    );
    ticks = new RedisTickBus(
      redisUrl,
      runtime.market,
      logger.child({ component: 'redis-ticks' }),
      tickOptions,
    );
    try {
      await bus.start();
      await ticks.start();
    } catch (e) {
      await ticks.close();
      await bus.close();
      await server.close();
      throw e;
    }
  }
  const ws = attachWsServer({
    server: server.app.server,
    identity: runtime.identity,
    market: ticks ?? runtime.market,
    instruments: runtime.instruments,
    orders: bus ?? runtime.execution,
    brokerName: () => config.trading.broker,
    logger: logger.child({ component: 'ws' }),
    admit: server.abuse.admitUpgrade,
    ...(options.ws ? { options: options.ws } : {}),
  });
  try {
    await server.cluster?.start(url);
  } catch (e) {
    await ws.close();
    await ticks?.close();
    await bus?.close();
    await server.close();
    throw e;
  }
  return {
    ...server,
    ws,
    ...(ticks ? { ticks } : {}),
    // Upgraded sockets keep the HTTP server open, so they close first.
    async close() {
      await ws.close();
      await ticks?.close();
      await bus?.close();
      await server.close();
    },
    url,
  };
}

export { sandboxAccountId };
