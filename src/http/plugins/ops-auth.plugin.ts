// Authentication and role checks for the operations routes (/auth, /system, /config, /security, /metrics).
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { Role } from '../../ports/store.js';

/** Who is calling an operations route. */
export interface OpsPrincipal {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** How the caller proved who they are. */
  readonly via: 'api_key' | 'session';
  readonly keyId?: string;
  readonly sessionId?: string;
}

/** Resolves the caller from the request (API key, bearer token or session cookie); throws UNAUTHENTICATED. */
export type OpsAuthenticator = (request: FastifyRequest) => Promise<OpsPrincipal>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: OpsPrincipal | null;
  }
  interface FastifyContextConfig {
    /** Least role an operations route needs. */
    access?: Role;
    /** Marks a route served without authentication (health, login). Anything else is authenticated. */
    public?: boolean;
  }
}

const RANK: Readonly<Record<Role, number>> = { viewer: 0, trader: 1, admin: 2 };

/** Whether `role` is at least `needed` (admin > trader > viewer). */
export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/**
 * Adds a preValidation hook: routes whose config names an `access` role get the caller authenticated and
 * checked; `request.principal` is set for them.
 */
export function registerOpsAuth(app: FastifyInstance, authenticate: OpsAuthenticator): void {
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);
  // Deny by default: a route that names neither an access role, an API-key scope nor `public` is
  // authenticated (viewer on operations routes, `read` on /api/v1), so a forgotten option never opens a hole.
  app.addHook('onRoute', (route) => {
    const config: FastifyContextConfig = route.config ?? {};
    if (config.public === true || config.access !== undefined || config.scope !== undefined) return;
    const apiV1 = route.url.startsWith('/api/v1');
    route.config = { ...config, ...(apiV1 ? { scope: 'read' as const } : { access: 'viewer' as const }) };
  });
  app.addHook('preValidation', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === undefined) return;
    const principal = await authenticate(request);
    if (!hasRole(principal.role, access)) {
      throw new AppError('FORBIDDEN', `this needs the ${access} role (you are ${principal.role})`);
    }
    request.principal = principal;
  });
}

/** The authenticated caller of an operations route. */
export function principalOf(request: FastifyRequest): OpsPrincipal {
  if (!request.principal) throw new AppError('UNAUTHENTICATED', 'not authenticated');
  return request.principal;
}
