#!/usr/bin/env node
// Entry point of the `algogate` command: runs the compiled CLI (built by `npm install` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('algogate: dist/ is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(1);
}
const { runCli } = await import(cli.href);
await runCli(process.argv);
