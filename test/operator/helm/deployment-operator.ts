// Runs the built operator with exactly the command line of the container in the
// Deployment the chart installed (pods cannot run in the test bed). The only
// differences from the pod: `$(VAR)` references are expanded from the given
// environment as the kubelet would, /healthz+/metrics listen on a free loopback
// port, and credentials come from a kubeconfig instead of the mounted token.
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { OperatorProcess } from '../../harness/operator-process.js';

function containerArgs(deployment: KubeObject, env: Record<string, string>, kubeconfig: string): string[] {
  const spec = deployment.spec as { template: { spec: { containers: Array<{ args?: string[] }> } } };
  const args = spec.template.spec.containers[0].args ?? [];
  return [
    ...args
      .map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole))
      .map((a) => (a.startsWith('--health-addr=') ? '--health-addr=127.0.0.1:0' : a)),
    `--kubeconfig=${kubeconfig}`,
  ];
}

/** The operator as the Deployment's container would run, with the pod's environment. */
export function startDeploymentOperator(deployment: KubeObject, env: Record<string, string>, kubeconfig: string): OperatorProcess {
  return new OperatorProcess({ label: 'deployment', args: containerArgs(deployment, env, kubeconfig), env });
}
