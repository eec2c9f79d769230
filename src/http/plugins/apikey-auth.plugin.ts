// API key authentication for /api/v1: key from the body, X-API-KEY or Bearer; scope check per route.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { TradingContext } from '../../services/context.js';
import type { IdentityService } from '../../services/identity.service.js';
import { nullSecurityEvents, type SecurityEventSink } from '../../ports/security-events.js';
import type { Scope } from '../../ports/store.js';

declare module 'fastify' {
  interface FastifyRequest {
    trading: TradingContext | null;
    tradingMode: 'live' | 'analyze' | null;
  }
  interface FastifyContextConfig {
    /** Scope an API key needs for this route; routes without it are not key-authenticated. */
    scope?: Scope;
  }
}

export function presentedKey(request: FastifyRequest): string | null {
  const body = request.body as { apikey?: unknown } | null | undefined;
  if (body && typeof body === 'object' && typeof body.apikey === 'string' && body.apikey !== '')
    return body.apikey;
  const query = request.query as { apikey?: unknown } | undefined;
  if (query && typeof query.apikey === 'string' && query.apikey !== '') return query.apikey;
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return null;
}

export function registerApiKeyAuth(
  app: FastifyInstance,
  identity: IdentityService,
  events: SecurityEventSink = nullSecurityEvents,
): void {
  app.decorateRequest('trading', null);
  app.decorateRequest('tradingMode', null);
  app.addHook('preValidation', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const key = presentedKey(request);
    if (key === null) {
      throw new AppError(
        'INVALID_API_KEY',
        'API key is required: send apikey in the body, an X-API-KEY header or Authorization: Bearer',
      );
    }
    // The abuse controls' resolved client IP (abuse.plugin.ts imports this module, so not imported here).
    const ip = (request as { clientIp?: string }).clientIp ?? request.socket.remoteAddress ?? '';
    const where = { ip, requestId: request.id };
    let principal;
    try {
      principal = await identity.verify(key);
    } catch (e) {
      // Counted toward automatic bans (abuse controls); the presented key itself is never recorded.
      events.record({ type: 'invalid_key', ...where, detail: { route: request.routeOptions.url ?? '' } });
      throw e;
    }
    if (!identity.hasScope(principal, scope)) {
      events.record({
        type: 'forbidden',
        actor: principal.user.username,
        ...where,
        detail: { route: request.routeOptions.url ?? '', needed: scope, keyId: principal.key.id },
      });
      throw new AppError('FORBIDDEN', `this API key lacks the ${scope} scope`);
    }
    request.trading = identity.context(principal, request.id);
    request.tradingMode = request.trading.mode;
  });
}

/** The authenticated context of a key-authenticated route. */
export function ctxOf(request: FastifyRequest): TradingContext {
  if (!request.trading) throw new AppError('INVALID_API_KEY', 'not authenticated');
  return request.trading;
}
