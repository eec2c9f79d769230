// Health probes: liveness (process up) and readiness (store reachable, startup reconciliation done).
import type { FastifyInstance } from 'fastify';

export interface HealthReport {
  readonly ok: boolean;
  readonly checks: Readonly<Record<string, { ok: boolean; detail?: string }>>;
}

export type HealthCheck = () => Promise<HealthReport>;

export function registerHealthRoutes(app: FastifyInstance, check: HealthCheck, version: string): void {
  const started = Date.now();
  const pub = { config: { public: true } };
  app.get('/health/live', pub, () => ({
    status: 'ok',
    version,
    uptime_s: Math.round((Date.now() - started) / 1000),
  }));
  const ready = async (_req: unknown, reply: { status(code: number): unknown }) => {
    const report = await check();
    reply.status(report.ok ? 200 : 503);
    return { status: report.ok ? 'ok' : 'unhealthy', version, checks: report.checks };
  };
  app.get('/health', pub, ready);
  app.get('/health/ready', pub, ready);
}
