// buildApp: the Fastify application with every plugin and route; never listens, never reads env.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifySchema,
} from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { SecurityEventSink } from '../ports/security-events.js';
import type { CompositeOrders } from '../services/composite-orders.js';
import type { IdempotencyService } from '../services/idempotency.service.js';
import type { IdentityService } from '../services/identity.service.js';
import type { MarketDataService } from '../services/market-data.service.js';
import type { OptionsOrders } from '../services/options-orders.js';
import type { OptionsService } from '../services/options.service.js';
import type { OrderService } from '../services/order.service.js';
import type { PortfolioService } from '../services/portfolio.service.js';
import { registerAccountRoutes } from './openalgo/account.routes.js';
import { registerMarketDataRoutes } from './openalgo/market-data.routes.js';
import { registerOptionsRoutes } from './openalgo/options.routes.js';
import { registerOrderRoutes } from './openalgo/orders.routes.js';
import { registerClusterRoutes, type ClusterStatus } from './ops/cluster.routes.js';
import {
  clientIpOf,
  registerAbuseControls,
  registerAbuseRoutes,
  registerApiAbuseControls,
  type AbuseHttpDeps,
} from './plugins/abuse.plugin.js';
import { registerHealthRoutes, type HealthSource } from './ops/health.routes.js';
import { registerMetricsRoute } from './ops/metrics.routes.js';
import { registerSystemRoutes, type SystemRouteDeps } from './ops/system.routes.js';
import { registerRequestMetrics } from './plugins/metrics.plugin.js';
import { registerApiKeyAuth } from './plugins/apikey-auth.plugin.js';
import {
  registerClusterForwarding,
  type ClusterGate,
  type ForwardingOptions,
} from './plugins/cluster-forward.plugin.js';
import { registerOpsAuth, type OpsAuthenticator } from './plugins/ops-auth.plugin.js';
import {
  MAX_PARAM_LENGTH,
  frameworkErrorAnswer,
  registerErrorHandler,
} from './plugins/error-handler.plugin.js';
import { registerRequestId, requestIdFrom } from './plugins/request-id.plugin.js';

export interface AppDeps {
  readonly logger: PinoLogger;
  readonly bodyLimit: number;
  readonly identity: IdentityService;
  readonly orders: OrderService;
  readonly composite: CompositeOrders;
  readonly portfolio: PortfolioService;
  readonly marketData: MarketDataService;
  readonly options: OptionsService;
  readonly optionsOrders: OptionsOrders;
  readonly idempotency: IdempotencyService;
  readonly brokerName: () => string;
  /** Dependency checks behind GET /health and /health/ready. */
  readonly health: HealthSource;
  readonly version: string;
  /** This server's metrics registry (GET /metrics, request counters). */
  readonly metrics: Metrics;
  /** The scrape token GET /metrics requires when set (read per request). */
  readonly metricsToken: () => string | null;
  /** GET /system/status and /system/latency. */
  readonly system: SystemRouteDeps;
  /** The security event trail. */
  readonly securityEvents: SecurityEventSink;
  /** Resolves the caller of operations routes that declare `config.access`. */
  readonly authenticate: OpsAuthenticator;
  /** Client IP, security headers, CORS, rate limits, bans, hostile-input checks (abuse.setup.ts). */
  readonly abuse?: AbuseHttpDeps;
  /** Registers /auth, /admin and /security routes (src/security.setup.ts). */
  readonly securityRoutes?: (app: FastifyInstance) => void;
  /** Scale-out: forward book routes to the trading leader (docs/adr/0019); absent on a single instance. */
  readonly cluster?: {
    readonly gate: ClusterGate;
    readonly forwarding: ForwardingOptions;
    /** GET /system/cluster. */
    readonly view: () => Promise<ClusterStatus>;
  } | null;
}

/** A registered route, as the onRoute hook saw it (the every-route authentication test walks these). */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  /** The route's validation schemas (body, querystring, params), for tests that generate inputs. */
  readonly schema?: FastifySchema;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on this app, in registration order. */
    readonly routeTable: readonly RouteEntry[];
  }
}

const UPPERCASE_FIELDS = ['action', 'pricetype', 'product', 'exchange'] as const;

/** OpenAlgo accepts `buy`/`BUY`; normalise the enum fields before the schema sees them. */
function normaliseCase(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach(normaliseCase);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const f of UPPERCASE_FIELDS) {
    const v = obj[f];
    if (typeof v === 'string') obj[f] = v.trim().toUpperCase();
  }
  for (const nested of ['orders', 'positions', 'legs'])
    if (Array.isArray(obj[nested])) normaliseCase(obj[nested]);
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // The assertion widens pino's Logger so the instance type matches FastifyInstance's default generics.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request logs would dominate CPU at thousands of orders a second; failures are logged below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: deps.bodyLimit,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Router-level rejections (bad percent-encoding, over-long path parameter) bypass the error handler: give
    // them the same envelope and a plain message instead of Fastify's default body.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = frameworkErrorAnswer(error);
      // The option's reply type is generic over an unknown schema; it is an ordinary reply here.
      void (reply as unknown as FastifyReply).code(status).send(body);
    },
    ajv: {
      customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: false },
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // Some alert senders (TradingView when the message is not strict JSON) post text/plain: accept JSON in it.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(
        Object.assign(new Error('Unsupported body: send JSON (Content-Type: application/json)'), {
          statusCode: 415,
        }),
        undefined,
      );
    }
  });
  registerRequestId(app);
  if (deps.cluster) registerClusterForwarding(app, deps.cluster.gate, deps.cluster.forwarding);
  registerRequestMetrics(app, deps.metrics);
  registerErrorHandler(app);
  if (deps.abuse) await registerAbuseControls(app, deps.abuse);
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 500)
      request.log.warn(
        { url: request.url, status: reply.statusCode, ip: clientIpOf(request) },
        'request failed',
      );
    done();
  });

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      routeTable.push({ method, url: route.url, ...(route.schema ? { schema: route.schema } : {}) });
  });
  registerOpsAuth(app, deps.authenticate);
  registerHealthRoutes(app, deps.health, deps.version);
  if (deps.cluster) registerClusterRoutes(app, deps.cluster.view);
  deps.securityRoutes?.(app);
  registerMetricsRoute(app, deps);
  registerSystemRoutes(app, deps.system);
  if (deps.abuse) registerAbuseRoutes(app, deps.abuse);

  await app.register(
    async (api) => {
      if (deps.abuse) await registerApiAbuseControls(api, deps.abuse);
      registerApiKeyAuth(api, deps.identity, deps.securityEvents);
      api.addHook('preValidation', (request, _reply, next) => {
        normaliseCase(request.body);
        next();
      });
      registerOrderRoutes(api, deps);
      registerAccountRoutes(api, deps);
      registerMarketDataRoutes(api, deps);
      registerOptionsRoutes(api, deps);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
