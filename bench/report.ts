// What every bench does at the end: write its JSON report to bench/results, and turn main() into an exit code.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/support/server-process.js';

/** Writes `bench/results/<name>-<timestamp>.json` and prints its path. */
export async function writeReport(name: string, startedAt: Date, report: unknown): Promise<void> {
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`result: ${file}\n`);
}

/** Runs a bench's main and sets the process exit code from it (1 with the error when it throws). */
export async function runBench(main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (err) {
    process.stderr.write(
      `[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  }
}
