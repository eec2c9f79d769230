// Runs `algogate <args>` in-process and captures what it printed and its exit code.
import { vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';

export async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    await runCli(['node', 'algogate', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const raw: unknown = process.exitCode;
  const code = typeof raw === 'number' ? raw : 0;
  process.exitCode = 0;
  return { out, err, code };
}
