// Where the HTTP server listens: host and port, or a Unix socket for nginx on the same host.
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';

/** Removes a socket file nobody answers on (left by a crash); a live one stays, and listen then fails. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (st === null || !st.isSocket()) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!alive) await unlink(path);
}

/**
 * Listens on `config.socket` when set (made 0660, so nginx in the service's group can connect; the file is
 * removed on close), else on `config.host`:`config.port`. Returns the address to show.
 */
export async function listen(app: FastifyInstance, config: Config): Promise<string> {
  const socket = config.socket;
  if (socket !== null && socket !== '') {
    await removeStaleSocket(socket);
    await app.listen({ path: socket });
    await chmod(socket, 0o660);
    return `unix:${socket}`;
  }
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
  return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
}
