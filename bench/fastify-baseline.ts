// Baseline for the WebSocket bench's REST leg: a bare Fastify server that parses the same JSON body as
// POST /api/v1/quotes and answers a small quote-shaped JSON, with no auth, validation or market lookup.
import Fastify from 'fastify';

const port = Number(process.env.PORT ?? 0);
const app = Fastify({ logger: false });

app.post('/api/v1/quotes', (req, reply) => {
  const body = req.body as { symbol?: unknown; exchange?: unknown } | null;
  return reply.send({
    status: 'success',
    data: { symbol: body?.symbol ?? null, exchange: body?.exchange ?? null, ltp: 1, bid: 1, ask: 1 },
  });
});

const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`listening ${address}\n`);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    void app.close();
  });
}
