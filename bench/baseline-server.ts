// Starts a bench baseline server (bench/<script>, which prints "listening" once up) as a child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, PARENT_WATCHDOG, REPO_ROOT, registerChild } from '../test/support/server-process.js';

export interface BaselineServer {
  url: string;
  stop: () => Promise<void>;
}

/** Spawns `bench/<script>` on a free port and waits (15 s at most) for it to print "listening". */
export async function startBaselineServer(script: string, label: string): Promise<BaselineServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', PARENT_WATCHDOG, '--import', 'tsx', join(REPO_ROOT, 'bench', script)],
    { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  registerChild(child);
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => {
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${label} did not start within 15 s`));
    }, 15_000);
    child.once('close', (code) => {
      reject(new Error(`${label} exited early (code ${String(code)})`));
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      if (s.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      const t = setTimeout(() => {
        child.kill('SIGKILL');
      }, 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
