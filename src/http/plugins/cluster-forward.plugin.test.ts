import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FORWARD_HEADER,
  forwardedPeer,
  registerClusterForwarding,
  type ClusterGate,
} from './cluster-forward.plugin.js';

const SECRET = 'x'.repeat(40);

interface Seen {
  ip: string;
  requestId: string;
  body: unknown;
}

async function instance(
  gate: ClusterGate,
  seen: Seen[],
  secret = SECRET,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ genReqId: (req) => String(req.headers['x-request-id'] ?? 'generated') });
  registerClusterForwarding(app, gate, { secret, bodyLimit: 1024, timeoutMs: 5_000, now: () => Date.now() });
  app.post('/api/v1/placeorder', (request) => {
    seen.push({ ip: forwardedPeer(request) ?? 'not forwarded', requestId: request.id, body: request.body });
    return { status: 'success', orderid: '42', servedBy: 'this' };
  });
  app.post('/api/v1/quotes', () => ({ status: 'success', local: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

const fixed = (role: ReturnType<ClusterGate['role']>, leader: string | null): ClusterGate => ({
  role: () => role,
  leaderUrl: () => leader,
  leaderUnreachable: () => undefined,
});

describe('forwarding book routes to the trading leader', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });

  it('sends a follower’s order to the leader with the client address and request id, and relays the answer', async () => {
    const leaderSeen: Seen[] = [];
    const leader = await instance(fixed('leader', null), leaderSeen);
    const followerSeen: Seen[] = [];
    const follower = await instance(fixed('follower', leader.url), followerSeen);
    apps.push(leader.app, follower.app);
    const res = await fetch(`${follower.url}/api/v1/placeorder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
      body: JSON.stringify({ apikey: 'k', symbol: 'SBIN' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'success', orderid: '42', servedBy: 'this' });
    expect(followerSeen).toEqual([]);
    expect(leaderSeen).toEqual([
      { ip: '127.0.0.1', requestId: 'req-1', body: { apikey: 'k', symbol: 'SBIN' } },
    ]);
    // Routes that do not touch the books are answered where they land.
    const q = await fetch(`${follower.url}/api/v1/quotes`, { method: 'POST' });
    expect(await q.json()).toEqual({ status: 'success', local: true });
  });

  it('answers 503 with Retry-After while no leader is known, or the leader cannot be reached', async () => {
    const lonely = await instance(fixed('follower', null), []);
    const orphan = await instance(fixed('follower', 'http://127.0.0.1:1'), []);
    const promoting = await instance(fixed('promoting', null), []);
    apps.push(lonely.app, orphan.app, promoting.app);
    for (const { url } of [lonely, orphan, promoting]) {
      const res = await fetch(`${url}/api/v1/placeorder`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { status: string }).status).toBe('error');
    }
  });

  it('refuses a forwarded header that is forged, signed with another secret, or replayed elsewhere', async () => {
    const seen: Seen[] = [];
    const leader = await instance(fixed('leader', null), seen);
    const stranger = await instance(fixed('follower', leader.url), [], 'y'.repeat(40));
    apps.push(leader.app, stranger.app);
    const forged = await fetch(`${leader.url}/api/v1/placeorder`, {
      method: 'POST',
      headers: { [FORWARD_HEADER]: `${Date.now()};6.6.6.6;bogus`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(forged.status).toBe(401);
    const wrongSecret = await fetch(`${stranger.url}/api/v1/placeorder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrongSecret.status).toBe(401);
    expect(seen).toEqual([]);
  });
});
