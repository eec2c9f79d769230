// Abuse controls on the HTTP app: client IP, security headers, CORS, rate limits (bans and hostile input join here).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateClass } from '../../config/schema.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SecurityEventSink } from '../../ports/security-events.js';
import type { RateLimiter } from '../../services/rate-limiter.js';
import { ClientIpResolver } from '../client-ip.js';
import { forwardedPeer } from './cluster-forward.plugin.js';
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
  readonly securityEvents: SecurityEventSink;
  readonly metrics: Metrics;
  readonly corsOrigins: readonly string[];
  readonly now: () => number;
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

/** Controls of the /api/v1 scope (CORS). */
export async function registerApiAbuseControls(api: FastifyInstance, deps: AbuseHttpDeps): Promise<void> {
  await registerApiCors(api, deps.corsOrigins);
}
