// The control plane shared by every operator test file of one jest run. The
// global setup starts it and publishes its kubeconfig through the environment;
// test workers (forked later) inherit that.
export const KUBECONFIG_ENV = 'BERTH_TEST_KUBECONFIG';

export function sharedKubeconfig(): string {
  const path = process.env[KUBECONFIG_ENV];
  if (!path) throw new Error(`${KUBECONFIG_ENV} is not set: operator tests need the jest global setup (--selectProjects operator)`);
  return path;
}
