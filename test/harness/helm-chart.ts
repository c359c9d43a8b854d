// Runs the helm binary (built by scripts/testbed/build.sh) against charts/berth,
// with its own config/cache/data directories so tests never read or write the
// user's helm state, and parses what it renders.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { REPO_ROOT } from './registry-process.js';
import { run, runOk, type RunResult } from './tools.js';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'berth');
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');
/** The version the test apiserver reports; `helm template` checks kubeVersion against it. */
export const TEST_KUBE_VERSION = '1.37.2';

const helmHome = mkdtempSync(join(tmpdir(), 'berth-helm-'));
const helmEnv = {
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_DATA_HOME: join(helmHome, 'data'),
};

export interface HelmOptions {
  readonly kubeconfig?: string;
  readonly timeoutMs?: number;
}

export function helm(args: string[], options: HelmOptions = {}): Promise<RunResult> {
  const env = { ...helmEnv, ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}) };
  return run('helm', args, { env, timeoutMs: options.timeoutMs ?? 60_000 });
}

export function helmOk(args: string[], options: HelmOptions = {}): Promise<string> {
  const env = { ...helmEnv, ...(options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : {}) };
  return runOk('helm', args, { env, timeoutMs: options.timeoutMs ?? 60_000 });
}

/** Values as `--values FILE` and `--set k=v` flags. */
export interface ValuesFlags {
  readonly files?: readonly string[];
  readonly set?: Readonly<Record<string, string | number | boolean>>;
}

export function valuesArgs(values: ValuesFlags = {}): string[] {
  return [
    ...(values.files ?? []).flatMap((f) => ['--values', f]),
    ...Object.entries(values.set ?? {}).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
  ];
}

/** `helm template` of the chart; resolves with every rendered object. */
export async function renderChart(values: ValuesFlags = {}, release = 'berth', namespace = 'berth-system'): Promise<KubeObject[]> {
  const out = await helmOk(['template', release, CHART_DIR, '--namespace', namespace, '--kube-version', TEST_KUBE_VERSION, ...valuesArgs(values)]);
  return (yaml.loadAll(out) as Array<KubeObject | null>).filter((o): o is KubeObject => !!o);
}

export function findObject(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const hit = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!hit) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return hit;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

/**
 * RBAC rules flattened to sorted "group resource verb" permissions (group "" is the core
 * API); a rule limited to named objects adds them: "group resource verb name1,name2".
 */
export function permissions(rules: readonly PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    const names = r.resourceNames?.length ? ` ${[...r.resourceNames].sort().join(',')}` : '';
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) out.add(`${g || 'core'} ${res} ${v}${names}`);
  }
  return [...out].sort();
}
