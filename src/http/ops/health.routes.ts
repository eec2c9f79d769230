// Health probes for load balancers and supervisors: liveness, readiness and the full dependency report.
import type { FastifyInstance } from 'fastify';
import type { HealthReport } from '../../observability/health.js';

export interface HealthSource {
  check(): Promise<HealthReport>;
}

/**
 * Public routes, so the bodies carry only statuses and short scrubbed details (no URLs with credentials,
 * no keys). `/health/live` never touches a dependency; `/health` is 503 when a dependency check fails;
 * `/health/ready` is also 503 while the server is starting or draining.
 */
export function registerHealthRoutes(app: FastifyInstance, health: HealthSource, version: string): void {
  const started = Date.now();
  const uptime = () => Math.round((Date.now() - started) / 1000);
  const pub = { config: { public: true } };
  app.get('/health/live', pub, (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    return { status: 'ok', version, uptime_s: uptime() };
  });
  app.get('/health', pub, async (_request, reply) => {
    const report = await health.check();
    void reply.status(report.ok ? 200 : 503).header('cache-control', 'no-store');
    return {
      status: report.ok ? 'ok' : 'unhealthy',
      version,
      uptime_s: uptime(),
      lifecycle: report.lifecycle,
      checks: report.checks,
    };
  });
  app.get('/health/ready', pub, async (_request, reply) => {
    const report = await health.check();
    const ready = report.ok && report.lifecycle === 'ready';
    void reply.status(ready ? 200 : 503).header('cache-control', 'no-store');
    return {
      status: ready ? 'ready' : 'not_ready',
      lifecycle: report.lifecycle,
      failing: Object.keys(report.checks).filter((k) => report.checks[k]?.ok !== true),
    };
  });
}
