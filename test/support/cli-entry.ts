// Runs the algogate CLI straight from TypeScript sources (node --import tsx test/support/cli-entry.ts <cmd>).
import { runCli } from '../../src/cli/main.js';

await runCli(process.argv);
