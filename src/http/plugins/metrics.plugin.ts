// Request metrics: one onResponse hook counts and times every request by method, route pattern and status.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';

/**
 * The route label is the registered pattern (`/api/v1/orderstatus`, `/system/latency`), never the raw URL,
 * so label cardinality stays bounded; requests that match no route are `unmatched`.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.requests.inc({ method: request.method, route, status });
    metrics.requestDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
