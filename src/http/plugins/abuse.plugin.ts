// Abuse controls on the HTTP app: client IP, security headers, IP bans, rate limits, violation events, CORS.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { RateClass } from '../../config/schema.js';
import { AppError, isAppError } from '../../domain/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SecurityEventSink } from '../../ports/security-events.js';
import type { IpBanService } from '../../services/ip-bans.service.js';
import type { RateLimiter } from '../../services/rate-limiter.js';
import { ClientIpResolver } from '../client-ip.js';
import { forwardedPeer } from './cluster-forward.plugin.js';
import { registerSecurityBanRoutes } from '../ops/security-bans.routes.js';
import { registerHostileInputChecks, registerJsonDepthLimit } from './hostile-input.plugin.js';
import { presentedKey } from './apikey-auth.plugin.js';
import { perWindowText, registerRateLimits } from './rate-limit.plugin.js';
import { registerApiCors, registerSecurityHeaders } from './security-headers.plugin.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's IP per the trusted-proxy rule (client-ip.ts); use it for logs, limits, bans and events. */
    clientIp: string;
    /** `https` when the client used TLS (directly or per a trusted proxy). */
    clientProtocol: 'http' | 'https';
  }
}

export interface AbuseHttpDeps {
  readonly clientIps: ClientIpResolver;
  /** Null when no limiter is configured at all (the `enabled` switch is inside the limiter). */
  readonly rateLimiter: RateLimiter | null;
  readonly rateRules: (cls: RateClass) => readonly { limit: number; windowMs: number }[];
  /** Null when IP bans are not wired (then nothing is ever blocked). */
  readonly bans: IpBanService | null;
  /** The sink that counts violations toward bans (AppDeps.securityEvents is the same object). */
  readonly securityEvents: SecurityEventSink;
  readonly metrics: Metrics;
  readonly corsOrigins: readonly string[];
  readonly now: () => number;
  /** Deepest accepted JSON nesting (hot). */
  readonly jsonMaxDepth: () => number;
  /** Whether hostile-pattern checks run on /api/v1 (hot). */
  readonly hostileInputChecks: () => boolean;
}

/** The client IP of a request (set by the abuse controls; the socket peer when they are not installed). */
export function clientIpOf(request: FastifyRequest): string {
  return (request as { clientIp?: string }).clientIp ?? request.socket.remoteAddress ?? '';
}

/** Root-level controls: every route and the 404 handler. */
export async function registerAbuseControls(app: FastifyInstance, deps: AbuseHttpDeps): Promise<void> {
  app.decorateRequest('clientIp', '');
  app.decorateRequest('clientProtocol', 'http');
  app.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket as { encrypted?: boolean; remoteAddress?: string };
    // A request another instance of the cluster forwarded is resolved as that instance received it.
    const peer = forwardedPeer(request) ?? socket.remoteAddress;
    const addr = deps.clientIps.resolve(peer, request.headers, socket.encrypted === true);
    request.clientIp = addr.ip;
    request.clientProtocol = addr.protocol;
    done();
  });
  await registerSecurityHeaders(app, (request) => request.clientProtocol);
  const bans = deps.bans;
  if (bans !== null) {
    // After helmet, so the 403 carries the security headers too.
    app.addHook('onRequest', (request, reply, done) => {
      const ban = bans.blocked(request.clientIp);
      if (ban === null) {
        done();
        return;
      }
      deps.metrics.ipBlocked.inc();
      if (ban.expiresAt !== null)
        void reply.header('retry-after', String(Math.max(1, Math.ceil((ban.expiresAt - deps.now()) / 1000))));
      done(new AppError('IP_BLOCKED', blockedMessage(request.clientIp, ban.expiresAt)));
    });
  }
  recordViolations(app, deps);
  registerJsonDepthLimit(app, deps.jsonMaxDepth);
  if (deps.rateLimiter !== null) {
    registerRateLimits(app, {
      limiter: deps.rateLimiter,
      ipOf: (r) => r.clientIp,
      securityEvents: deps.securityEvents,
      metrics: deps.metrics,
      now: deps.now,
      rulesText: (cls) =>
        deps
          .rateRules(cls)
          .map((r) => `at most ${r.limit} per ${perWindowText(r.windowMs)}`)
          .join(' and '),
    });
  }
}

/** `Your IP address 1.2.3.4 is blocked until 2026-12-04T15:00:00.000Z`. */
export function blockedMessage(ip: string, expiresAt: number | null): string {
  return expiresAt === null
    ? `Your IP address ${ip} is blocked`
    : `Your IP address ${ip} is blocked until ${new Date(expiresAt).toISOString()}`;
}

/** Reports 404 probes and invalid API keys as security events (they count toward bans). */
function recordViolations(app: FastifyInstance, deps: AbuseHttpDeps): void {
  app.addHook('onError', (request, _reply, error: FastifyError, done) => {
    if (isAppError(error) && error.code === 'INVALID_API_KEY' && presentedKey(request) !== null) {
      deps.securityEvents.record({
        type: 'invalid_key',
        severity: 'medium',
        ip: request.clientIp,
        requestId: request.id,
        detail: { route: request.routeOptions.url ?? request.url.split('?')[0] },
      });
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 404 && request.is404) {
      deps.securityEvents.record({
        type: 'not_found_probe',
        severity: 'low',
        ip: request.clientIp,
        requestId: request.id,
        detail: { method: request.method, path: (request.url.split('?')[0] ?? '').slice(0, 200) },
      });
    }
    done();
  });
}

/** Operations routes of the abuse controls (register after the ops auth guard). */
export function registerAbuseRoutes(app: FastifyInstance, deps: AbuseHttpDeps): void {
  if (deps.bans !== null) registerSecurityBanRoutes(app, deps.bans);
}

/** Controls of the /api/v1 scope (CORS). */
export async function registerApiAbuseControls(api: FastifyInstance, deps: AbuseHttpDeps): Promise<void> {
  await registerApiCors(api, deps.corsOrigins);
  registerHostileInputChecks(api, {
    enabled: deps.hostileInputChecks,
    maxDepth: deps.jsonMaxDepth,
    securityEvents: deps.securityEvents,
  });
}
