// Security headers on every response (helmet), HSTS only over TLS, and CORS for /api/* from configured origins.
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Registers helmet on the root app: a restrictive CSP (same-origin resources, no framing), X-Frame-Options
 * DENY, nosniff, Referrer-Policy no-referrer. HSTS is sent only when the request came over TLS (directly or
 * per a trusted proxy's X-Forwarded-Proto): on plain HTTP it would be ignored by browsers or, behind a
 * misconfigured proxy, pin a host to an https that does not exist.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  protocolOf: (request: import('fastify').FastifyRequest) => 'http' | 'https',
): Promise<void> {
  await app.register(helmet, {
    global: true,
    hsts: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        'upgrade-insecure-requests': null,
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (protocolOf(request) === 'https') void reply.header('strict-transport-security', HSTS);
    done();
  });
}

/**
 * CORS for the API scope it is registered in. Only the listed origins get CORS headers (no wildcard, no
 * credentials): API keys travel in headers or bodies, never in cookies, so browsers need no credentials here.
 */
export async function registerApiCors(api: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await api.register(cors, {
    origin: (origin, cb) => {
      cb(null, origin !== undefined && allowed.has(origin));
    },
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'idempotency-key', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id', 'idempotent-replayed'],
    maxAge: 600,
  });
}
