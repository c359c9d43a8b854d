// Prints jest's totals from its --json reports (one per jest run) as "N passed, N failed[, N skipped]".
import { readFileSync } from 'node:fs';
const reports = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const sum = (key) => reports.reduce((n, r) => n + r[key], 0);
const failed = sum('numFailedTests') + sum('numRuntimeErrorTestSuites');
const skipped = sum('numPendingTests') + sum('numTodoTests');
process.stdout.write(`\n${sum('numPassedTests')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(sum('numTotalTests') > 0 && failed === 0 ? 0 : 1);
