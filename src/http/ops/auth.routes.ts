// /auth: login, logout, me, two-factor enrolment, and the caller's own API keys.
import { Type, type Static } from '@sinclair/typebox';
import { clientIpOf } from '../plugins/abuse.plugin.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { SecurityEventSink } from '../../ports/security-events.js';
import { SCOPES, type ApiKeyRecord, type Scope, type UserRecord } from '../../ports/store.js';
import type { AuthService, VerifiedSession } from '../../services/auth.service.js';
import type { IdentityService } from '../../services/identity.service.js';
import type { TotpService } from '../../services/totp.service.js';
import { setSessionCookies } from '../plugins/authenticate.js';
import { principalOf } from '../plugins/ops-auth.plugin.js';

export interface AuthRouteDeps {
  readonly auth: AuthService;
  readonly totp: TotpService;
  readonly identity: IdentityService;
  readonly events: SecurityEventSink;
  /** Cookies carry `Secure` (production, or HTTPS as seen through a trusted proxy). */
  readonly secureCookies: (request: FastifyRequest) => boolean;
  readonly sessionOf: (request: FastifyRequest) => VerifiedSession | null;
}

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    totp: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);
const CodeBody = Type.Object(
  { code: Type.String({ pattern: '^[0-9]{6}$' }) },
  { additionalProperties: false },
);
export const ScopesSchema = Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), {
  minItems: 1,
  maxItems: 3,
  uniqueItems: true,
});
const NewKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9 _.:-]+$' }),
    scopes: Type.Optional(ScopesSchema),
  },
  { additionalProperties: false },
);
export const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

export function userInfo(u: UserRecord): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    totp_enabled: u.totpEnabled,
    disabled: u.disabledAt !== null,
    created_at: new Date(u.createdAt).toISOString(),
  };
}

export function keyInfo(k: ApiKeyRecord): Record<string, unknown> {
  return {
    id: k.id,
    user_id: k.userId,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    created_at: new Date(k.createdAt).toISOString(),
    last_used_at: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
    revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const viewer = { config: { access: 'viewer' as const } };
  const ev = (request: FastifyRequest) => ({ ip: clientIpOf(request), requestId: request.id });
  // Read fresh (not the short-lived auth cache): TOTP state must be current.
  const me = async (request: FastifyRequest): Promise<UserRecord> => {
    const user = await deps.identity.findUserById(principalOf(request).userId);
    if (!user || user.disabledAt !== null) throw new AppError('UNAUTHENTICATED', 'not authenticated');
    return user;
  };

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/auth/login',
    { config: { public: true }, schema: { body: LoginBody } },
    async (request, reply) => {
      const { username, password, totp } = request.body;
      const session = await deps.auth.login({
        username,
        password,
        totp,
        ip: clientIpOf(request),
        requestId: request.id,
      });
      setSessionCookies(reply, session, deps.secureCookies(request));
      reply.header('cache-control', 'no-store');
      return {
        access_token: session.token,
        token_type: 'bearer',
        expires_in: session.expiresIn,
        csrf_token: session.csrf,
        user_info: userInfo(session.user),
      };
    },
  );

  app.post('/auth/logout', viewer, async (request, reply) => {
    const session = deps.sessionOf(request);
    if (!session)
      throw new AppError('VALIDATION', 'logout ends a login session; API keys are revoked instead');
    await deps.auth.logout(session, clientIpOf(request), request.id);
    setSessionCookies(reply, null, deps.secureCookies(request));
    return { status: 'success', message: 'logged out' };
  });

  app.get('/auth/me', viewer, async (request) => {
    const p = principalOf(request);
    const session = deps.sessionOf(request);
    return {
      ...userInfo(await me(request)),
      via: p.via,
      ...(p.keyId !== undefined ? { key_id: p.keyId } : {}),
      ...(session ? { session_expires_at: new Date(session.expiresAt).toISOString() } : {}),
    };
  });

  app.post('/auth/totp/enroll', viewer, async (request) => {
    const e = await deps.totp.enrol(await me(request));
    return {
      otpauth_uri: e.uri,
      secret: e.secret,
      message: 'add it to an authenticator app, then POST /auth/totp/confirm with a code',
    };
  });
  app.post<{ Body: Static<typeof CodeBody> }>(
    '/auth/totp/confirm',
    { ...viewer, schema: { body: CodeBody } },
    async (request) => {
      await deps.totp.confirm(await me(request), request.body.code, clientIpOf(request), request.id);
      return { status: 'success', totp_enabled: true };
    },
  );
  app.post<{ Body: Static<typeof CodeBody> }>(
    '/auth/totp/disable',
    { ...viewer, schema: { body: CodeBody } },
    async (request) => {
      await deps.totp.disable(await me(request), request.body.code, clientIpOf(request), request.id);
      return { status: 'success', totp_enabled: false };
    },
  );

  // The caller's own keys; the scopes a key may hold are limited by the owner's role.
  const ownKey = async (request: FastifyRequest, id: string): Promise<ApiKeyRecord> => {
    const key = await deps.identity.findApiKey(id);
    if (!key || key.userId !== principalOf(request).userId || key.revokedAt !== null)
      throw new AppError('NOT_FOUND', `API key ${id} not found`);
    return key;
  };
  app.get('/auth/keys', viewer, async (request) => {
    const user = await me(request);
    return { keys: (await deps.identity.listApiKeys(user.username)).map(keyInfo) };
  });
  app.post<{ Body: Static<typeof NewKeyBody> }>(
    '/auth/keys',
    { ...viewer, schema: { body: NewKeyBody } },
    async (request, reply) => {
      const user = await me(request);
      const scopes: Scope[] = request.body.scopes ?? (user.role === 'viewer' ? ['read'] : ['read', 'trade']);
      // A key never mints a key with more scopes than itself.
      const p = principalOf(request);
      if (p.keyId !== undefined) {
        const presenting = await deps.identity.findApiKey(p.keyId);
        const has = presenting?.scopes ?? [];
        if (!has.includes('admin') && !scopes.every((s) => has.includes(s)))
          throw new AppError('FORBIDDEN', 'an API key cannot create a key with scopes it does not hold');
      }
      const k = await deps.identity.createApiKey(user.username, request.body.name, scopes);
      deps.events.record({
        type: 'key_created',
        actor: user.username,
        ...ev(request),
        detail: { keyId: k.id, owner: user.username, scopes },
      });
      reply.status(201).header('cache-control', 'no-store');
      return { ...keyInfo(k.record), key: k.key };
    },
  );
  app.post<{ Params: Static<typeof IdParams> }>(
    '/auth/keys/:id/rotate',
    { ...viewer, schema: { params: IdParams } },
    async (request, reply) => {
      const old = await ownKey(request, request.params.id);
      const k = await deps.identity.rotateApiKey(old.id);
      deps.events.record({
        type: 'key_rotated',
        actor: principalOf(request).username,
        ...ev(request),
        detail: { keyId: old.id, newKeyId: k.id },
      });
      reply.header('cache-control', 'no-store');
      return { ...keyInfo(k.record), key: k.key, replaces: old.id };
    },
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/auth/keys/:id',
    { ...viewer, schema: { params: IdParams } },
    async (request) => {
      const old = await ownKey(request, request.params.id);
      await deps.identity.revokeApiKey(old.id);
      deps.events.record({
        type: 'key_revoked',
        actor: principalOf(request).username,
        ...ev(request),
        detail: { keyId: old.id },
      });
      return { status: 'success', revoked: old.id };
    },
  );
}
