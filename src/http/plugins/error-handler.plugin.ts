// One error handler: validation, malformed JSON, size limits and core error codes to the wire envelope.
import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError } from '../../domain/errors.js';
import { STATUS_BY_CODE, envelope } from '../errors.js';

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `body/orders/0/quantity must be >= 1` -> `orders[0].quantity: must be >= 1`, with enums listed. */
export function describeValidation(issues: readonly AjvIssue[]): string {
  const parts = issues.slice(0, 5).map((i) => {
    const path = (i.instancePath ?? '')
      .split('/')
      .filter(Boolean)
      .map((seg, n) => (/^\d+$/.test(seg) ? `[${seg}]` : n === 0 ? seg : `.${seg}`))
      .join('');
    if (i.keyword === 'required') return `${String(i.params?.missingProperty)}: is required`;
    if (i.keyword === 'enum') {
      const allowed = (i.params?.allowedValues as unknown[] | undefined)?.join(', ') ?? '';
      return `${path}: must be one of: ${allowed}`;
    }
    return `${path || 'body'}: ${i.message ?? 'is invalid'}`;
  });
  return `Validation error: ${parts.join('; ')}`;
}

/** Longest path parameter the router accepts (a longer one is a 414, not a route miss). */
export const MAX_PARAM_LENGTH = 200;

/**
 * Router-level rejections (bad percent-encoding, an over-long path parameter) never reach the error handler:
 * answer them with the same envelope and a plain message instead of Fastify's default body.
 */
export function frameworkErrorAnswer(error: FastifyError): {
  status: number;
  body: ReturnType<typeof envelope>;
} {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return { status: 414, body: envelope(`A path parameter is longer than ${MAX_PARAM_LENGTH} characters`) };
  if (error.code === 'FST_ERR_BAD_URL')
    return { status: 400, body: envelope('Malformed URL: invalid percent-encoding in the path') };
  return { status: error.statusCode ?? 400, body: envelope(error.message) };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvIssue[] }, request, reply) => {
    const mode =
      (request as { tradingMode?: string }).tradingMode === 'analyze' ? { mode: 'analyze' as const } : {};
    if (error.validation) {
      return reply.status(400).send({ ...envelope(describeValidation(error.validation)), ...mode });
    }
    if (isAppError(error)) {
      return reply.status(STATUS_BY_CODE[error.code]).send({ ...envelope(error.message), ...mode });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.status(400).send(envelope(`Invalid JSON body: ${error.message}`));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.status(413).send(envelope('Request body is too large'));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.status(415).send(envelope('Unsupported Content-Type: send application/json'));
      default:
        break;
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(envelope(error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(envelope(`Internal server error (request id ${request.id})`));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ status: 'error', message: 'Not found', path: request.url.split('?')[0] }),
  );
}
