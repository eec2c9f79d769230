// The systemd unit from deploy/systemd: `systemd-analyze verify` accepts it, and its keys make the service
// restart on failure and run hardened with write access to its data, log and settings directories only.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/server-process.js';
import { describeWithTool, which } from '../support/tools.js';

const run = promisify(execFile);
const UNIT = readFileSync(join(REPO_ROOT, 'deploy', 'systemd', 'algogate.service'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'algogate-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** section -> key -> values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1] as string, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit line: ${raw}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

it('restarts on failure and runs hardened, writing only its data, log and settings directories', () => {
  const unit = parseUnit(UNIT);
  const service = unit.get('Service');
  const get = (k: string): string | undefined => service?.get(k)?.at(-1);
  expect(get('Restart')).toBe('on-failure');
  expect(get('User')).toBe('algogate');
  expect(get('NoNewPrivileges')).toBe('yes');
  expect(get('ProtectSystem')).toBe('strict');
  expect(get('ReadWritePaths')?.split(/\s+/).sort()).toEqual([
    '-/var/backups/algogate',
    '/etc/algogate',
    '/var/lib/algogate',
    '/var/log/algogate',
  ]);
  expect(get('PrivateTmp')).toBe('yes');
  expect(get('ProtectHome')).toBe('yes');
  expect(get('CapabilityBoundingSet')).toBe('');
  expect(Number(get('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
  expect(get('EnvironmentFile')).toBe('/etc/algogate/env');
  expect(get('ExecStart')).toBe(
    '/usr/bin/node /opt/algogate/current/bin/algogate.js serve --config /etc/algogate/algogate.yaml',
  );
  // Logs go where logrotate looks.
  expect(get('StandardOutput')).toBe('append:/var/log/algogate/algogate.log');
  expect(readFileSync(join(REPO_ROOT, 'deploy', 'logrotate', 'algogate'), 'utf8')).toContain(
    '/var/log/algogate/*.log {',
  );
  expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
});

await describeWithTool('systemd-analyze', 'systemd-analyze verify', () => {
  const analyze = which('systemd-analyze') as string;

  async function verify(text: string, name: string): Promise<string> {
    // verify checks that ExecStart's binary exists; where node is not /usr/bin/node (as apt and NodeSource
    // install it), point the copy at this machine's node.
    const node = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    const file = join(dir, name);
    writeFileSync(file, text.replace('/usr/bin/node ', `${node} `));
    try {
      const { stdout, stderr } = await run(analyze, ['verify', file]);
      return stdout + stderr;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      return `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`;
    }
  }

  it('accepts the unit without a single warning', async () => {
    expect(await verify(UNIT, 'algogate.service')).toBe('');
  });

  it('reports a misspelt hardening value (the check can fail)', async () => {
    const out = await verify(
      UNIT.replace('ProtectSystem=strict', 'ProtectSystem=strictly'),
      'broken.service',
    );
    expect(out).toMatch(/protect system value/i);
  });
});
