// Jest global setup of the operator project: one control plane per test run,
// with the CRDs installed. Fails (never skips) if anything cannot start.
//
// Jest loads this hook outside its module mapper, so './x.js' imports of our ESM
// sources would not resolve to '.ts' here; the hook has no relative imports and
// loads the compiled harness instead (the test command builds first).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

type SharedLifecycle = typeof import('./shared-lifecycle.js');

export default async function globalSetup(): Promise<void> {
  const compiled = join(process.cwd(), 'dist', 'test', 'harness', 'control-plane', 'shared-lifecycle.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run "npm run build" before the operator tests (npm test does)`);
  const lifecycle = (await import(compiled)) as SharedLifecycle;
  await lifecycle.startSharedControlPlane();
}
