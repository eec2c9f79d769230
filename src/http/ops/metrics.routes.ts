// GET /metrics: Prometheus exposition, guarded by a bearer token, direct loopback, or a viewer login.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import { hasRole, type OpsAuthenticator } from '../plugins/ops-auth.plugin.js';

const PROXY_HEADERS = ['x-forwarded-for', 'x-real-ip', 'forwarded'] as const;

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** A scrape straight from this host: loopback socket peer and no sign of a reverse proxy in between. */
export function isDirectLoopback(request: FastifyRequest): boolean {
  if (!isLoopback(request.socket.remoteAddress)) return false;
  return PROXY_HEADERS.every((h) => request.headers[h] === undefined);
}

function sameSecret(a: string, b: string): boolean {
  // Hashing first makes the comparison constant-time regardless of the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface MetricsRouteDeps {
  readonly metrics: Metrics;
  /** The configured scrape token (setting metrics.token), or null. Read on every request. */
  readonly metricsToken: () => string | null;
  readonly authenticate: OpsAuthenticator;
}

/**
 * The rule (docs/adr/0015): with a token configured, only `Authorization: Bearer <token>` is accepted.
 * Without one, a direct loopback scrape is accepted and anything else needs an authenticated viewer.
 */
export function registerMetricsRoute(app: FastifyInstance, deps: MetricsRouteDeps): void {
  // `public` opts out of the deny-by-default viewer guard: this handler applies the rule above itself.
  app.get('/metrics', { config: { public: true } }, async (request, reply) => {
    const token = deps.metricsToken();
    if (token !== null && token !== '') {
      const header = request.headers.authorization;
      const presented = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : '';
      if (presented === '' || !sameSecret(presented, token)) {
        throw new AppError('UNAUTHENTICATED', 'GET /metrics needs Authorization: Bearer <metrics token>');
      }
    } else if (!isDirectLoopback(request)) {
      const principal = await deps.authenticate(request);
      if (!hasRole(principal.role, 'viewer')) {
        throw new AppError('FORBIDDEN', 'GET /metrics needs the viewer role');
      }
    }
    const text = await deps.metrics.text();
    return reply
      .header('content-type', deps.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(text);
  });
}
