// Jest global setup of the node project: one node (and its control plane) per
// test run. Fails, never skips, when the machine cannot run it.
// Like the control plane's hook, it loads the compiled harness (the test command builds first).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

type SharedLifecycle = typeof import('./shared-lifecycle.js');

export default async function globalSetup(): Promise<void> {
  const compiled = join(process.cwd(), 'dist', 'test', 'harness', 'node', 'shared-lifecycle.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run "npm run build" before the node tests (npm test does)`);
  const lifecycle = (await import(compiled)) as SharedLifecycle;
  await lifecycle.startSharedNode();
}
