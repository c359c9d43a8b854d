// Jest global teardown: stop the shared control plane and remove its files
// (kept with BERTH_KEEP_TESTBED=1 for debugging).
export default async function globalTeardown(): Promise<void> {
  const plane = globalThis.__berthControlPlane;
  if (!plane) return;
  const keepDir = process.env.BERTH_KEEP_TESTBED === '1';
  await plane.stop({ keepDir });
  if (keepDir) process.stderr.write(`[testbed] kept ${plane.dir} (logs: ${plane.logs().join(', ')})\n`);
  globalThis.__berthControlPlane = undefined;
}
