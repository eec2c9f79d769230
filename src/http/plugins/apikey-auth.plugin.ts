// API key authentication for /api/v1: key from the body, X-API-KEY or Bearer; scope check per route.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { TradingContext } from '../../services/context.js';
import type { IdentityService } from '../../services/identity.service.js';
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

export function registerApiKeyAuth(app: FastifyInstance, identity: IdentityService): void {
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
    const principal = await identity.verify(key);
    if (!identity.hasScope(principal, scope)) {
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
