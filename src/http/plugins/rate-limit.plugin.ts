// Rate limits per client IP and API key by endpoint class: 429 with the OpenAlgo body and Retry-After.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateClass } from '../../config/schema.js';
import { AppError } from '../../domain/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import type { SecurityEventSink } from '../../ports/security-events.js';
import type { RateLimiter } from '../../services/rate-limiter.js';
import { presentedKey } from './apikey-auth.plugin.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Rate-limit class of the route (`none` exempts it); unset: `api` (see rateClassOf). */
    rateClass?: RateClass | 'none';
  }
}

const UNIT: readonly (readonly [number, string])[] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1000, 'second'],
];

function per(windowMs: number): string {
  for (const [ms, unit] of UNIT)
    if (windowMs % ms === 0) return windowMs === ms ? unit : `${windowMs / ms} ${unit}s`;
  return `${windowMs} ms`;
}

/** The class of a request: the route's `config.rateClass`, else by path; null for exempt routes. */
export function rateClassOf(request: FastifyRequest): RateClass | null {
  const declared = request.routeOptions.config.rateClass;
  if (declared === 'none') return null;
  if (declared !== undefined) return declared;
  const url = request.routeOptions.url ?? '';
  // Load balancers and orchestrators probe health often and from one address.
  if (url === '/health' || url.startsWith('/health/')) return null;
  if (url === '/auth/login') return 'login';
  if (url.includes('webhook')) return 'webhook';
  return 'api';
}

/** A short, non-secret handle for the presented API key (its raw value never reaches the counters). */
function keyHandle(request: FastifyRequest): string | null {
  const key = presentedKey(request);
  if (key === null) return null;
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

export interface RateLimitDeps {
  readonly limiter: RateLimiter;
  readonly ipOf: (request: FastifyRequest) => string;
  readonly securityEvents: SecurityEventSink;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly rulesText: (cls: RateClass) => string;
}

/**
 * Checks limits in preValidation: the body is parsed by then, so a key sent in the body is counted too (one
 * store round trip covers the IP and the key). Registered on the root app, it also covers 404s.
 */
export function registerRateLimits(app: FastifyInstance, deps: RateLimitDeps): void {
  app.addHook('preValidation', async (request, reply) => {
    if (!deps.limiter.enabled()) return;
    const cls = rateClassOf(request);
    if (cls === null) return;
    const ip = deps.ipOf(request);
    const decision = await deps.limiter.check(cls, { ip, key: keyHandle(request) }, deps.now());
    if (decision.allowed) return;
    const retry = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    deps.metrics.rateLimited.inc({ class: cls });
    if (decision.firstBreach) {
      deps.securityEvents.record({
        type: 'rate_limited',
        severity: 'low',
        ip,
        requestId: request.id,
        detail: { class: cls, route: request.routeOptions.url ?? request.url.split('?')[0] },
      });
    }
    void reply.header('retry-after', String(retry));
    throw new AppError(
      'RATE_LIMITED',
      `Rate limit exceeded for ${cls} requests (${deps.rulesText(cls)}); retry after ${retry} s`,
    );
  });
}

export { per as perWindowText };
