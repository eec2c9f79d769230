// shellcheck finds nothing in the deployment scripts (install.sh, the container entrypoint, the nginx renderer).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../support/server-process.js';
import { describeWithTool, which } from '../support/tools.js';

const run = promisify(execFile);

/** Every tracked file under deploy/ and .ci/ that starts with a shell shebang. */
function shellScripts(): string[] {
  const files = execFileSync('git', ['ls-files', 'deploy', '.ci'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '');
  return files.filter((f) =>
    /^#!.*\b(ba|da)?sh\b/.test(readFileSync(join(REPO_ROOT, f), 'utf8').split('\n')[0] ?? ''),
  );
}

await describeWithTool('shellcheck', 'shellcheck', () => {
  const shellcheck = which('shellcheck') as string;

  it('finds every deployment script', () => {
    expect(shellScripts()).toEqual(
      expect.arrayContaining(['deploy/install.sh', 'deploy/docker-entrypoint.sh', 'deploy/nginx/render.sh']),
    );
  });

  it('reports nothing in any of them', async () => {
    const scripts = shellScripts();
    const result = await run(shellcheck, ['--format=gcc', ...scripts], { cwd: REPO_ROOT }).then(
      (r) => r.stdout + r.stderr,
      (e: unknown) => {
        const err = e as { stdout?: string; stderr?: string };
        return `${err.stdout ?? ''}${err.stderr ?? ''}`;
      },
    );
    expect(result).toBe('');
  });

  it('would report an unquoted expansion (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'algogate-sc-'));
    try {
      const file = join(dir, 'bad.sh');
      writeFileSync(file, '#!/bin/sh\nrm -rf $1/data\n');
      const out = await run(shellcheck, ['--format=gcc', file]).then(
        (r) => r.stdout,
        (e: unknown) => (e as { stdout?: string }).stdout ?? '',
      );
      expect(out).toContain('SC2086');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
