// GET /config/summary (viewer: every setting, secrets redacted) and PUT /config/update (admin: validated,
// persisted, hot keys applied, the rest answered with RESTART_REQUIRED, recorded in the audit trail).
import type { FastifyInstance } from 'fastify';
import type { SecurityEventSink } from '../../ports/security-events.js';
import { principalOf } from '../plugins/ops-auth.plugin.js';

/** What the routes need from the running configuration (src/config/live-config.ts behind config.setup.ts). */
export interface ConfigAdmin {
  /** Every setting with its running value, secrets as "***". */
  summary(): unknown;
  /**
   * Validates and saves a partial settings object; throws AppError VALIDATION (every problem in the message)
   * or CONFLICT (no file, or the environment overrides a key).
   */
  update(body: unknown): {
    readonly keys: readonly string[];
    readonly applied: readonly string[];
    readonly restartRequired: readonly string[];
  };
}

export function registerConfigRoutes(
  app: FastifyInstance,
  admin: ConfigAdmin,
  events: SecurityEventSink,
): void {
  app.get('/config/summary', { config: { access: 'viewer' } }, () => ({
    status: 'success',
    data: admin.summary(),
  }));

  app.put('/config/update', { config: { access: 'admin' } }, (request, reply) => {
    const principal = principalOf(request);
    // The API key may ride in the body (OpenAlgo style); it is not a setting.
    const body: unknown = request.body;
    const patch =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? Object.fromEntries(Object.entries(body).filter(([k]) => k !== 'apikey'))
        : body;
    const result = admin.update(patch);
    // Keys only: values (and secrets) never reach the audit trail.
    events.record({
      type: 'config_updated',
      severity: 'medium',
      actor: principal.username,
      ip: request.ip,
      requestId: request.id,
      detail: {
        keys: result.keys,
        applied: result.applied,
        restart_required: result.restartRequired,
        via: 'api',
      },
    });
    const data = { applied: result.applied, restart_required: result.restartRequired, persisted: true };
    if (result.restartRequired.length > 0) {
      return reply.status(409).send({
        status: 'error',
        code: 'RESTART_REQUIRED',
        message: `saved; restart required to apply: ${result.restartRequired.join(', ')}`,
        ...data,
      });
    }
    return { status: 'success', data };
  });
}
