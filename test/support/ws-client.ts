// A WebSocket test client that queues every JSON message and awaits the next one matching a predicate.
import WebSocket from 'ws';

export type Msg = Record<string, any>;

export interface Client {
  readonly ws: WebSocket;
  send(body: unknown): void;
  /** Resolves with the next message (already received or future) matching `pred`. */
  next(pred?: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
  closed: Promise<{ code: number; reason: string }>;
}

export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const ws = new WebSocket(url, options);
  const inbox: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as Msg;
    const i = waiters.findIndex((w) => w.pred(m));
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(m);
    else inbox.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      resolve({
        ws,
        closed,
        send: (body) => {
          ws.send(typeof body === 'string' ? body : JSON.stringify(body));
        },
        next: (pred = () => true, timeoutMs = 3000) => {
          const i = inbox.findIndex(pred);
          if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as Msg);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => {
              rej(
                new Error(
                  `no matching message within ${String(timeoutMs)} ms; inbox ${JSON.stringify(inbox)}`,
                ),
              );
            }, timeoutMs);
            waiters.push({
              pred,
              resolve: (m) => {
                clearTimeout(timer);
                res(m);
              },
            });
          });
        },
      });
    });
  });
}
