// Jest global teardown of the node project: tear the node down, and fail if
// anything it made is left on the machine.
import { join } from 'node:path';

type SharedLifecycle = typeof import('./shared-lifecycle.js');

export default async function globalTeardown(): Promise<void> {
  const compiled = join(process.cwd(), 'dist', 'test', 'harness', 'node', 'shared-lifecycle.js');
  const lifecycle = (await import(compiled)) as SharedLifecycle;
  await lifecycle.stopSharedNode();
}
