// Admin-only: user management, anyone's API keys, and the security event trail.
import { Type, type Static } from '@sinclair/typebox';
import { clientIpOf } from '../plugins/abuse.plugin.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { SECURITY_EVENT_TYPES, type SecurityEventSink } from '../../ports/security-events.js';
import type { SecurityEventQuery } from '../../ports/security-store.js';
import { ROLES, type Role } from '../../ports/store.js';
import type { IdentityService } from '../../services/identity.service.js';
import type { SecurityEventsService } from '../../services/security-events.service.js';
import type { TotpService } from '../../services/totp.service.js';
import { principalOf } from '../plugins/ops-auth.plugin.js';
import { IdParams, ScopesSchema, keyInfo, userInfo } from './auth.routes.js';

export interface AdminRouteDeps {
  readonly identity: IdentityService;
  readonly totp: TotpService;
  readonly events: SecurityEventSink;
  readonly trail: SecurityEventsService;
}

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Username = Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });
const NewUserBody = Type.Object(
  {
    username: Username,
    role: RoleSchema,
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  },
  { additionalProperties: false },
);
const UserPatch = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 1024 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const NewKeyBody = Type.Object(
  {
    username: Username,
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9 _.:-]+$' }),
    scopes: ScopesSchema,
  },
  { additionalProperties: false },
);
const KeysQuery = Type.Object({ user: Type.Optional(Username) }, { additionalProperties: false });
const Iso = Type.String({ minLength: 1, maxLength: 40 });
const EventsQuery = Type.Object(
  {
    type: Type.Optional(Type.Union(SECURITY_EVENT_TYPES.map((t) => Type.Literal(t)))),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    since: Type.Optional(Iso),
    until: Type.Optional(Iso),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

function parseTime(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n))
    throw new AppError('VALIDATION', `${name}: must be an ISO time or epoch milliseconds`);
  return n;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const admin = { config: { access: 'admin' as const } };
  const ev = (request: FastifyRequest) => ({
    actor: principalOf(request).username,
    ip: clientIpOf(request),
    requestId: request.id,
  });

  app.get('/admin/users', admin, async () => ({ users: (await deps.identity.listUsers()).map(userInfo) }));

  app.post<{ Body: Static<typeof NewUserBody> }>(
    '/admin/users',
    { ...admin, schema: { body: NewUserBody } },
    async (request, reply) => {
      const { username, role, password } = request.body;
      const out = await deps.identity.createUser(username, role, password);
      deps.events.record({ type: 'user_created', ...ev(request), detail: { username, role } });
      reply.status(201).header('cache-control', 'no-store');
      return { ...userInfo(out.user), ...(password === undefined ? { password: out.password } : {}) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/admin/users/:id',
    { ...admin, schema: { params: IdParams } },
    async (request) => {
      const u = await deps.identity.findUserById(request.params.id);
      if (!u) throw new AppError('NOT_FOUND', `user ${request.params.id} not found`);
      return userInfo(u);
    },
  );

  const change = async (
    request: FastifyRequest,
    id: string,
    patch: { role?: Role; disabled?: boolean; password?: string },
  ): Promise<Record<string, unknown>> => {
    if (
      id === principalOf(request).userId &&
      (patch.disabled === true || (patch.role && patch.role !== 'admin'))
    )
      throw new AppError('CONFLICT', 'admins cannot disable or demote themselves (ask another admin)');
    const u = await deps.identity.updateUser(id, patch);
    deps.events.record({
      type: 'user_updated',
      ...ev(request),
      detail: {
        username: u.username,
        ...(patch.role ? { role: patch.role } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(patch.password !== undefined ? { passwordChanged: true } : {}),
      },
    });
    return userInfo(u);
  };
  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UserPatch> }>(
    '/admin/users/:id',
    { ...admin, schema: { params: IdParams, body: UserPatch } },
    (request) => {
      const { role, disabled, password } = request.body;
      return change(request, request.params.id, {
        ...(role !== undefined ? { role } : {}),
        ...(disabled !== undefined ? { disabled } : {}),
        ...(password !== undefined ? { password } : {}),
      });
    },
  );
  // Users own orders and accounts, so "delete" disables: no login, no keys, no sessions.
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/admin/users/:id',
    { ...admin, schema: { params: IdParams } },
    (request) => change(request, request.params.id, { disabled: true }),
  );
  app.post<{ Params: Static<typeof IdParams> }>(
    '/admin/users/:id/totp/reset',
    { ...admin, schema: { params: IdParams } },
    async (request) => {
      const u = await deps.identity.findUserById(request.params.id);
      if (!u) throw new AppError('NOT_FOUND', `user ${request.params.id} not found`);
      await deps.totp.reset(u);
      deps.events.record({
        type: 'totp_disabled',
        ...ev(request),
        detail: { username: u.username, by: 'admin' },
      });
      deps.events.record({
        type: 'admin_action',
        ...ev(request),
        detail: { action: 'totp_reset', username: u.username },
      });
      return { status: 'success', totp_enabled: false };
    },
  );

  app.get<{ Querystring: Static<typeof KeysQuery> }>(
    '/admin/keys',
    { ...admin, schema: { querystring: KeysQuery } },
    async (request) => ({ keys: (await deps.identity.listApiKeys(request.query.user)).map(keyInfo) }),
  );
  app.post<{ Body: Static<typeof NewKeyBody> }>(
    '/admin/keys',
    { ...admin, schema: { body: NewKeyBody } },
    async (request, reply) => {
      const { username, name, scopes } = request.body;
      const k = await deps.identity.createApiKey(username, name, scopes);
      deps.events.record({
        type: 'key_created',
        ...ev(request),
        detail: { keyId: k.id, owner: username, scopes },
      });
      reply.status(201).header('cache-control', 'no-store');
      return { ...keyInfo(k.record), key: k.key };
    },
  );
  app.post<{ Params: Static<typeof IdParams> }>(
    '/admin/keys/:id/rotate',
    { ...admin, schema: { params: IdParams } },
    async (request, reply) => {
      const k = await deps.identity.rotateApiKey(request.params.id);
      deps.events.record({
        type: 'key_rotated',
        ...ev(request),
        detail: { keyId: request.params.id, newKeyId: k.id },
      });
      reply.header('cache-control', 'no-store');
      return { ...keyInfo(k.record), key: k.key, replaces: request.params.id };
    },
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/admin/keys/:id',
    { ...admin, schema: { params: IdParams } },
    async (request) => {
      await deps.identity.revokeApiKey(request.params.id);
      deps.events.record({ type: 'key_revoked', ...ev(request), detail: { keyId: request.params.id } });
      return { status: 'success', revoked: request.params.id };
    },
  );

  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/security/events',
    { ...admin, schema: { querystring: EventsQuery } },
    async (request) => {
      const q = request.query;
      const query: { -readonly [K in keyof SecurityEventQuery]: SecurityEventQuery[K] } = {
        limit: q.limit ?? 100,
      };
      if (q.type !== undefined) query.type = q.type;
      if (q.actor !== undefined) query.actor = q.actor;
      if (q.ip !== undefined) query.ip = q.ip;
      const since = parseTime('since', q.since);
      const until = parseTime('until', q.until);
      if (since !== undefined) query.since = since;
      if (until !== undefined) query.until = until;
      const events = await deps.trail.query(query);
      return {
        events: events.map((e) => ({
          id: e.id,
          at: new Date(e.at).toISOString(),
          type: e.type,
          severity: e.severity,
          actor: e.actor,
          ip: e.ip,
          request_id: e.requestId,
          detail: e.detail,
        })),
      };
    },
  );
}
