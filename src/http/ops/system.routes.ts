// /system/status and /system/latency: what the server is doing, for an authenticated viewer.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LatencyQuery, LatencyReport } from '../../observability/latency-monitor.js';

export interface SystemRouteDeps {
  readonly status: () => Promise<Record<string, unknown>>;
  readonly latency: (q: LatencyQuery) => LatencyReport;
}

const LatencyQuerystring = Type.Object(
  {
    broker: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' })),
    order_type: Type.Optional(
      Type.Union([Type.Literal('MARKET'), Type.Literal('LIMIT'), Type.Literal('SL'), Type.Literal('SL-M')]),
    ),
    window_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

export function registerSystemRoutes(app: FastifyInstance, deps: SystemRouteDeps): void {
  app.get('/system/status', { config: { access: 'viewer' } }, () => deps.status());
  app.get<{ Querystring: Static<typeof LatencyQuerystring> }>(
    '/system/latency',
    { config: { access: 'viewer' }, schema: { querystring: LatencyQuerystring } },
    (request) => {
      const q = request.query;
      const report = deps.latency({
        ...(q.broker !== undefined ? { broker: q.broker } : {}),
        ...(q.order_type !== undefined ? { orderType: q.order_type } : {}),
        ...(q.window_s !== undefined ? { windowMs: q.window_s * 1000 } : {}),
      });
      return {
        status: 'success',
        unit: 'ms',
        window_s: report.windowMs / 1000,
        overall: wire(report.overall),
        groups: report.groups.map(wire),
      };
    },
  );
}

function wire(g: LatencyReport['overall']): Record<string, unknown> {
  return { broker: g.broker, order_type: g.orderType, count: g.count, stages: g.stages };
}
