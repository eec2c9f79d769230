// Vitest reporter that ends the run with one plain line: `tests: N passed, N failed, N skipped`.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const test of m.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    // Printed at exit so it is the very last line, after Vitest's own summary.
    const line = `tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
    process.once('exit', () => process.stdout.write(line));
  }
}
