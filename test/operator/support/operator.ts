// The operator under test: its command line for a test namespace, and
// withOperator(), the fixture every operator test file starts from (a client, a
// namespace of its own, the operators it started stopped after the file).
import type { KubeClient } from '../../../operator/src/kube/client.js';
import { sharedKubeconfig } from '../../harness/control-plane/shared-plane.js';
import { OperatorProcess, type LogLine } from '../../harness/operator-process.js';
import { clientFor, createNamespace } from './kube.js';

export interface TestOperatorOptions {
  /** Leader-election identity, and the process's name in failure messages. */
  identity: string;
  /** Watched for the operator's kinds, and where its Lease lives. */
  namespace: string;
  kubeconfig?: string;
  leaseName?: string;
  args?: string[];
}

/** An operator restricted to one namespace, its Lease there, health on a free loopback port. */
export function startOperator(o: TestOperatorOptions): OperatorProcess {
  return new OperatorProcess({
    label: o.identity,
    args: [
      `--kubeconfig=${o.kubeconfig ?? sharedKubeconfig()}`,
      `--namespace=${o.namespace}`,
      `--leader-election-namespace=${o.namespace}`,
      `--leader-election-id=${o.leaseName ?? 'berth-operator'}`,
      `--identity=${o.identity}`,
      '--health-addr=127.0.0.1:0',
      ...(o.args ?? []),
    ],
  });
}

export const controllerStarted = (l: LogLine) => l.msg === 'controller started';

export interface OperatorFixture {
  /** A client of the shared control plane (valid from beforeAll on). */
  readonly client: KubeClient;
  /** The test file's own namespace. */
  readonly ns: string;
  /** The operator started last. */
  readonly operator: OperatorProcess;
  /** Starts another operator in the namespace; stopped with the others after the file. */
  start(identity: string, options?: Omit<TestOperatorOptions, 'identity' | 'namespace'>): OperatorProcess;
}

export interface WithOperatorOptions {
  /** Start an operator with this identity before the tests (none when unset: the tests start their own). */
  identity?: string;
  /** Extra arguments, computed once the namespace exists. */
  args?: (ns: string) => string[] | Promise<string[]>;
  /** The operator's credentials, when not the shared plane's admin (e.g. a ServiceAccount's). */
  kubeconfig?: (client: KubeClient, ns: string) => Promise<string>;
  /** The log line after which the operator is ready for the tests. */
  ready?: (l: LogLine) => boolean;
  /** How the operators are stopped after the file; default SIGTERM, a graceful shutdown. */
  stopSignal?: NodeJS.Signals;
}

/** Registers the beforeAll/afterAll of an operator test file; `prefix` names its namespace. */
export function withOperator(prefix: string, options: WithOperatorOptions = {}): OperatorFixture {
  let client: KubeClient | undefined;
  let ns: string | undefined;
  const started: OperatorProcess[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`withOperator(${prefix}): no ${what} before beforeAll ran`);
    return value;
  };
  const fixture: OperatorFixture = {
    get client() { return ready(client, 'client'); },
    get ns() { return ready(ns, 'namespace'); },
    get operator() { return ready(started.at(-1), 'operator'); },
    start(identity, o = {}) {
      const op = startOperator({ ...o, identity, namespace: fixture.ns });
      started.push(op);
      return op;
    },
  };

  beforeAll(async () => {
    client = clientFor(sharedKubeconfig());
    ns = await createNamespace(client, prefix);
    if (!options.identity) return;
    const op = fixture.start(options.identity, { args: await options.args?.(ns), kubeconfig: await options.kubeconfig?.(client, ns) });
    await op.waitForLog(options.ready ?? controllerStarted);
  });

  afterAll(async () => {
    await Promise.all(started.map((op) => op.kill(options.stopSignal ?? 'SIGTERM')));
    client?.close();
  });

  return fixture;
}
