// Scale-out: routes that touch the trading books run on the trading leader; other instances forward them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * /api/v1 routes that read or change the in-memory books (orders, positions, funds, holdings) or the
 * per-account mode, so only the instance that owns the books (the trading leader) may answer them.
 */
export const LEADER_ROUTES: readonly string[] = [
  'placeorder',
  'placesmartorder',
  'modifyorder',
  'cancelorder',
  'cancelallorder',
  'closeposition',
  'basketorder',
  'splitorder',
  'optionsorder',
  'optionsmultiorder',
  'orderstatus',
  'openposition',
  'orderbook',
  'tradebook',
  'positionbook',
  'holdings',
  'funds',
  'margin',
  'analyzer',
  'analyzer/toggle',
].map((r) => `/api/v1/${r}`);

/** The instance's place in the cluster, as the forwarding hook needs it. */
export interface ClusterGate {
  /** `leader`: answer locally; `follower`: forward; `promoting`: loading the books, answer 503. */
  role(): 'leader' | 'follower' | 'promoting';
  /** Where the current leader listens, when one is known. */
  leaderUrl(): string | null;
  /** The leader at `url` could not be reached: forget it until it is advertised again. */
  leaderUnreachable(url: string): void;
}

export const FORWARD_HEADER = 'x-algogate-forwarded';
/** A forwarded request older than this is refused (replay of a captured header). */
const MAX_SKEW_MS = 30_000;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'host',
  'content-length',
  'proxy-connection',
  'trailer',
]);

/** Socket peer of a verified forwarded request, as the instance that received it from the network saw it. */
const peers = new WeakMap<object, string>();

/**
 * The address the request came from before an instance of the cluster forwarded it (null when it was not
 * forwarded). The client-IP rule (trusted proxies, X-Forwarded-For) applies to it as to a direct peer.
 */
export function forwardedPeer(request: FastifyRequest): string | null {
  return peers.get(request.raw) ?? null;
}

function sign(
  secret: string,
  ts: string,
  ip: string,
  method: string,
  url: string,
  requestId: string,
): string {
  return createHmac('sha256', secret)
    .update(`${ts}\n${ip}\n${method}\n${url}\n${requestId}`)
    .digest('base64url');
}

/** Header value `ts;ip;signature` carrying the original peer address, signed with the cluster secret. */
export function forwardHeader(secret: string, now: number, request: FastifyRequest): string {
  const ts = String(now);
  const ip = request.socket.remoteAddress ?? '';
  return `${ts};${ip};${sign(secret, ts, ip, request.method, request.url, request.id)}`;
}

/** The client address from a valid forwarded header; null when absent; throws when forged or stale. */
export function verifyForwarded(secret: string, now: number, request: FastifyRequest): string | null {
  const raw = request.headers[FORWARD_HEADER];
  if (raw === undefined) return null;
  const parts = (Array.isArray(raw) ? (raw[0] ?? '') : raw).split(';');
  const [ts = '', ip = '', sig = ''] = parts;
  const expected = Buffer.from(sign(secret, ts, ip, request.method, request.url, request.id));
  const given = Buffer.from(sig);
  const fresh = Math.abs(now - Number(ts)) <= MAX_SKEW_MS;
  if (parts.length !== 3 || !fresh || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new Error('invalid forwarded-request signature');
  return ip;
}

function unavailable(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(503)
    .header('retry-after', '1')
    .type('application/json')
    .send(JSON.stringify({ status: 'error', message }));
}

async function readBody(request: FastifyRequest, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) return null;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export interface ForwardingOptions {
  readonly secret: string;
  readonly bodyLimit: number;
  /** Forwarded calls wait this long for the leader (longer than a broker call). */
  readonly timeoutMs: number;
  readonly now: () => number;
}

/**
 * Register before the abuse controls (they resolve the client IP from `forwardedPeer`, and a forwarded route is
 * rate-limited once, on the leader). On the leader, verifies forwarded requests; elsewhere, sends LEADER_ROUTES
 * to the leader with the original headers and body and relays its answer. While no leader is known (or it
 * cannot be reached) those routes answer 503 with Retry-After: the client retries (idempotently).
 */
export function registerClusterForwarding(
  app: FastifyInstance,
  gate: ClusterGate,
  opts: ForwardingOptions,
): void {
  const leaderRoutes = new Set(LEADER_ROUTES);
  app.addHook('onRequest', async (request, reply) => {
    let forwardedIp: string | null;
    try {
      forwardedIp = verifyForwarded(opts.secret, opts.now(), request);
    } catch {
      return reply
        .code(401)
        .type('application/json')
        .send(JSON.stringify({ status: 'error', message: 'invalid cluster forwarding signature' }));
    }
    if (forwardedIp !== null) peers.set(request.raw, forwardedIp);
    const route = request.routeOptions.url;
    if (route === undefined || !leaderRoutes.has(route)) return;
    const role = gate.role();
    if (role === 'leader') return;
    if (role === 'promoting')
      return unavailable(reply, 'this instance is taking over trading; retry in a moment');
    const leader = gate.leaderUrl();
    // A request that was already forwarded never travels twice: leadership moved while it was in transit.
    if (leader === null || forwardedIp !== null)
      return unavailable(reply, 'no trading leader is available right now; retry in a moment');
    const body = await readBody(request, opts.bodyLimit);
    if (body === null)
      return reply
        .code(413)
        .type('application/json')
        .send(JSON.stringify({ status: 'error', message: 'request body too large' }));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    headers['x-request-id'] = request.id;
    headers[FORWARD_HEADER] = forwardHeader(opts.secret, opts.now(), request);
    let res: Response;
    let payload: Buffer;
    try {
      res = await fetch(leader + request.url, {
        method: request.method,
        headers,
        ...(body.length > 0 || request.method !== 'GET' ? { body } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      payload = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      gate.leaderUnreachable(leader);
      request.log.warn({ err: e, leader }, 'trading leader unreachable');
      return unavailable(
        reply,
        'the trading leader did not answer; retry with the same idempotency key to learn the outcome',
      );
    }
    void reply.code(res.status);
    for (const [k, v] of res.headers) {
      if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') void reply.header(k, v);
    }
    return reply.send(payload);
  });
}
