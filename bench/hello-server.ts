// Baseline for the order bench: bare node:http server that reads and parses a JSON body and answers a small JSON.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 0);
let counter = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let payload: string;
    let status = 200;
    if (req.method === 'POST') {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { symbol?: unknown };
        counter++;
        payload = JSON.stringify({
          status: 'success',
          orderid: `${Date.now()}${counter}`,
          symbol: body.symbol,
        });
      } catch {
        status = 400;
        payload = '{"status":"error","message":"invalid JSON"}';
      }
    } else {
      payload = '{"status":"ok"}';
    }
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  });
});

server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr !== null ? addr.port : port}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    server.close();
    server.closeAllConnections();
  });
}
