// Admin routes of IP bans: GET/POST /security/bans, DELETE /security/bans/:ip.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../domain/errors.js';
import type { IpBan } from '../../ports/ip-bans.js';
import type { IpBanService } from '../../services/ip-bans.service.js';
import { principalOf } from '../plugins/ops-auth.plugin.js';

const BanBody = Type.Object(
  {
    ip: Type.String({ minLength: 2, maxLength: 45 }),
    /** Ban length; absent: until lifted. */
    minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 525_600 })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
type BanBody = Static<typeof BanBody>;

const IpParams = Type.Object({ ip: Type.String({ minLength: 2, maxLength: 45 }) });
type IpParams = Static<typeof IpParams>;

export function banRow(b: IpBan): Record<string, unknown> {
  return {
    ip: b.ip,
    reason: b.reason,
    source: b.source,
    created_by: b.createdBy,
    created_at: new Date(b.createdAt).toISOString(),
    expires_at: b.expiresAt === null ? null : new Date(b.expiresAt).toISOString(),
    strikes: b.strikes,
  };
}

export function registerSecurityBanRoutes(app: FastifyInstance, bans: IpBanService): void {
  const admin = { config: { access: 'admin' as const } };

  app.get('/security/bans', admin, async () => ({
    status: 'success',
    data: (await bans.list()).map(banRow),
  }));

  app.post('/security/bans', { ...admin, schema: { body: BanBody } }, async (request, reply) => {
    const b = request.body as BanBody;
    const who = principalOf(request);
    const ban = await bans.ban(b.ip, {
      durationMs: b.minutes === undefined ? null : b.minutes * 60_000,
      reason: b.reason ?? 'banned by an admin',
      actor: who.username,
      source: 'manual',
      requestId: request.id,
    });
    return reply.status(201).send({ status: 'success', data: banRow(ban) });
  });

  app.delete('/security/bans/:ip', { ...admin, schema: { params: IpParams } }, async (request) => {
    const { ip } = request.params as IpParams;
    const who = principalOf(request);
    if (!(await bans.unban(ip, who.username, request.id)))
      throw new AppError('NOT_FOUND', `no ban in force on ${ip}`);
    return { status: 'success', message: `${ip} unbanned` };
  });
}
