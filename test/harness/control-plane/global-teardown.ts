// Jest global teardown of the operator project: stop the shared control plane.
// Loads the compiled harness for the reason given in global-setup.ts.
import { join } from 'node:path';

type SharedLifecycle = typeof import('./shared-lifecycle.js');

export default async function globalTeardown(): Promise<void> {
  const compiled = join(process.cwd(), 'dist', 'test', 'harness', 'control-plane', 'shared-lifecycle.js');
  const lifecycle = (await import(compiled)) as SharedLifecycle;
  await lifecycle.stopSharedControlPlane();
}
