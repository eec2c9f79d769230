// Finds command-line tools tests need (nginx, shellcheck, systemd-analyze); under CI as root, installs them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describeWhen, inCi, type Availability } from './services.js';

/** apt package that provides each tool. */
const PACKAGES: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  shellcheck: 'shellcheck',
  'systemd-analyze': 'systemd',
};

const SEARCH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin'];

/** Absolute path of `tool`, or null. */
export function which(tool: string): string | null {
  for (const dir of SEARCH) {
    const p = `${dir}/${tool}`;
    if (existsSync(p)) return p;
  }
  return null;
}

const attempted = new Set<string>();

/**
 * Whether `tool` is usable. When it is missing and we run under CI as root, installs its Debian package once
 * (apt is reachable on CI machines); locally it reports why it is missing instead.
 */
export function toolAvailable(tool: string): Availability {
  if (which(tool) !== null) return { ok: true, reason: '' };
  const pkg = PACKAGES[tool] ?? tool;
  if (inCi() && process.getuid?.() === 0 && !attempted.has(pkg)) {
    attempted.add(pkg);
    try {
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 300_000,
      });
    } catch {
      // Reported below as unavailable.
    }
    if (which(tool) !== null) return { ok: true, reason: '' };
  }
  return { ok: false, reason: `${tool} not installed (apt-get install -y ${pkg})` };
}

/** `describe` that needs `tool`; skipped locally with one line, failing under CI (see describeWhen). */
export async function describeWithTool(tool: string, name: string, fn: () => void): Promise<void> {
  await describeWhen(tool, toolAvailable(tool), name, fn);
}
