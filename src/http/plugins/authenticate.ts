// Resolves the caller of operations routes: API key, bearer session token, or session cookie (+ CSRF).
import { BlockList, isIP } from 'node:net';
import { clientIpOf } from './abuse.plugin.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { SecurityEventSink } from '../../ports/security-events.js';
import type { Role, Scope } from '../../ports/store.js';
import type { AuthService, Session, VerifiedSession } from '../../services/auth.service.js';
import type { IdentityService } from '../../services/identity.service.js';
import { presentedKey } from './apikey-auth.plugin.js';
import { hasRole, type OpsAuthenticator } from './ops-auth.plugin.js';

export const SESSION_COOKIE = 'algogate_session';
export const CSRF_COOKIE = 'algogate_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const HEX64 = /^[0-9a-f]{64}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One cookie's value from the Cookie header (no dependency needed for reading two cookies). */
export function cookieValue(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

/** Sets (or, with null, clears) the session and CSRF cookies. */
export function setSessionCookies(reply: FastifyReply, session: Session | null, secure: boolean): void {
  const attrs = `Path=/; SameSite=Strict${secure ? '; Secure' : ''}`;
  const age = session ? session.expiresIn : 0;
  reply.header('set-cookie', [
    `${SESSION_COOKIE}=${session ? session.token : ''}; ${attrs}; HttpOnly; Max-Age=${age}`,
    `${CSRF_COOKIE}=${session ? session.csrf : ''}; ${attrs}; Max-Age=${age}`,
  ]);
}

/** A matcher of client IPs against CIDRs; an empty list allows everyone. */
export function ipAllowList(cidrs: readonly string[]): (ip: string) => boolean {
  if (cidrs.length === 0) return () => true;
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr = '', bits] = c.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (ip) => {
    const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    const type = isIP(v4) === 6 ? 'ipv6' : 'ipv4';
    return isIP(v4) !== 0 && list.check(v4, type);
  };
}

/** The most an API key of these scopes may do on operations routes (a key never exceeds its owner's role). */
function keyRole(userRole: Role, scopes: readonly Scope[]): Role {
  const byScope: Role = scopes.includes('admin') ? 'admin' : scopes.includes('trade') ? 'trader' : 'viewer';
  return hasRole(userRole, byScope) ? byScope : userRole;
}

export interface AuthenticatorDeps {
  readonly auth: AuthService;
  readonly identity: IdentityService;
  readonly events: SecurityEventSink;
  /** Current admin IP allow-list (CIDRs); re-read per request so a config reload applies. */
  readonly adminAllowList: () => readonly string[];
}

export interface Authenticator {
  readonly authenticate: OpsAuthenticator;
  /** The verified session of a session-authenticated request (for logout). */
  sessionOf(request: FastifyRequest): VerifiedSession | null;
}

export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const sessions = new WeakMap<FastifyRequest, VerifiedSession>();
  let allowFor: readonly string[] | null = null;
  let allowed: (ip: string) => boolean = () => true;
  const ev = (request: FastifyRequest) => ({ ip: clientIpOf(request), requestId: request.id });

  const authenticate: OpsAuthenticator = async (request) => {
    const needed = request.routeOptions.config.access;
    if (needed === 'admin') {
      const list = deps.adminAllowList();
      if (list !== allowFor) {
        allowFor = list;
        allowed = ipAllowList(list);
      }
      if (!allowed(clientIpOf(request))) {
        deps.events.record({
          type: 'forbidden',
          ...ev(request),
          detail: { route: request.routeOptions.url ?? request.url, reason: 'admin_allow_list' },
        });
        throw new AppError('IP_BLOCKED', 'admin endpoints are not served to this address');
      }
    }
    const auth = request.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : null;
    const key = bearer !== null && !HEX64.test(bearer) ? null : presentedKey(request);
    let principal;
    if (key !== null) {
      let p;
      try {
        p = await deps.identity.verify(key);
      } catch (e) {
        deps.events.record({
          type: 'invalid_key',
          ...ev(request),
          detail: { route: request.routeOptions.url ?? '' },
        });
        throw new AppError(
          'UNAUTHENTICATED',
          e instanceof AppError ? 'invalid API key' : 'authentication failed',
        );
      }
      principal = {
        userId: p.user.id,
        username: p.user.username,
        role: keyRole(p.user.role, p.key.scopes),
        via: 'api_key' as const,
        keyId: p.key.id,
      };
    } else {
      const fromCookie = bearer === null;
      const token = bearer ?? cookieValue(request, SESSION_COOKIE);
      if (token === null || token === '') throw new AppError('UNAUTHENTICATED', 'authentication required');
      const session = await deps.auth.verify(token);
      // A browser sends cookies on its own: writes must also prove they come from our page (double submit).
      if (fromCookie && !SAFE_METHODS.has(request.method)) {
        const presented = request.headers[CSRF_HEADER];
        if (typeof presented !== 'string' || !deps.auth.csrfMatches(session.jti, presented)) {
          deps.events.record({
            type: 'csrf_rejected',
            actor: session.user.username,
            ...ev(request),
            detail: { route: request.routeOptions.url ?? '' },
          });
          throw new AppError('FORBIDDEN', 'missing or wrong X-CSRF-Token header for a cookie session');
        }
      }
      sessions.set(request, session);
      principal = {
        userId: session.user.id,
        username: session.user.username,
        role: session.user.role,
        via: 'session' as const,
        sessionId: session.jti,
      };
    }
    if (needed !== undefined && !hasRole(principal.role, needed)) {
      deps.events.record({
        type: 'forbidden',
        actor: principal.username,
        ...ev(request),
        detail: { route: request.routeOptions.url ?? '', needed, role: principal.role },
      });
      throw new AppError('FORBIDDEN', `this needs the ${needed} role (you are ${principal.role})`);
    }
    return principal;
  };
  return { authenticate, sessionOf: (request) => sessions.get(request) ?? null };
}
