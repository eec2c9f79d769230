// GET /system/errors and /system/resources, server-side error reporting, and the shutdown readiness gate.
import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError } from '../../domain/errors.js';
import type { ErrorReport, ErrorReporter } from '../../ports/error-reporter.js';
import { STATUS_BY_CODE } from '../errors.js';

export interface ResilienceRouteDeps {
  /** Counts and trends by class, recent errors and recovery actions. */
  readonly errors: () => unknown;
  /** Each broker's circuit breaker. */
  readonly breakers: () => unknown;
  /** Latest resource sample, active alerts and recommendations; null before the first sample. */
  readonly resources: () => Promise<unknown>;
}

export function registerResilienceRoutes(app: FastifyInstance, deps: ResilienceRouteDeps): void {
  app.get('/system/errors', { config: { access: 'viewer' } }, () => ({
    status: 'success',
    data: { ...(deps.errors() as object), breakers: deps.breakers() },
  }));
  app.get('/system/resources', { config: { access: 'viewer' } }, async () => ({
    status: 'success',
    data: await deps.resources(),
  }));
}

/** How a failed request is classified; null for client errors (4xx), which are not faults of ours. */
export function classifyHttpError(error: FastifyError): Omit<ErrorReport, 'requestId'> | null {
  const status = isAppError(error) ? STATUS_BY_CODE[error.code] : (error.statusCode ?? 500);
  if (status < 500) return null;
  const message = error.message.slice(0, 300);
  if (isAppError(error)) {
    const code = error.code;
    if (code === 'BROKER_CIRCUIT_OPEN')
      return { severity: 'low', category: 'network', component: 'http', code, message };
    if (code === 'BROKER_UNAVAILABLE')
      return { severity: 'medium', category: 'network', component: 'http', code, message };
    if (code === 'STORE_UNAVAILABLE')
      return { severity: 'high', category: 'database', component: 'http', code, message };
    return { severity: 'medium', category: 'system', component: 'http', code, message };
  }
  return {
    severity: 'high',
    category: 'system',
    component: 'http',
    code: 'INTERNAL',
    message: `${error.name}: ${message}`,
  };
}

/** Every 5xx and unexpected error reaches the error trail (the error handler still shapes the reply). */
export function registerErrorReporting(app: FastifyInstance, reporter: ErrorReporter): void {
  app.addHook('onError', (request, _reply, error, done) => {
    const report = classifyHttpError(error);
    if (report) reporter.error({ ...report, requestId: request.id });
    done();
  });
}

/**
 * While the server drains, readiness answers 503 so load balancers stop sending new work; liveness stays
 * 200 (the process is fine, just leaving).
 */
export function registerDrainGate(app: FastifyInstance, draining: () => boolean): void {
  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0];
    if (draining() && (path === '/health' || path === '/health/ready')) {
      void reply
        .status(503)
        .header('connection', 'close')
        .send({ status: 'draining', message: 'shutting down: not accepting new work' });
      return;
    }
    done();
  });
  // Keep-alive connections end after their current response, so the drain does not wait for idle sockets.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining()) void reply.header('connection', 'close');
    done(null, payload);
  });
}
