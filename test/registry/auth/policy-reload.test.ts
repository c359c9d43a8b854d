// The policy file source against real files: atomic replacement, ConfigMap-style
// symlink swaps, invalid files (old policy kept, metrics and log say so).
import { mkdir, mkdtemp, rename, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PolicyFileSource } from '../../../registry/src/auth/policy-source.js';
import { createLogger } from '../../../registry/src/log.js';
import { Metrics } from '../../../registry/src/metrics/metrics.js';
import { eventually } from './fixtures.js';

const rule = (repo: string) => `rules: [{subjects: [ci], repositories: ["${repo}"], actions: [pull]}]\n`;

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  return { log: createLogger('info', stream), lines };
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('policy file reloading', () => {
  let source: PolicyFileSource | undefined;
  afterEach(() => source?.close());

  test('a replaced file takes effect without restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-policy-'));
    const file = join(dir, 'policy.yaml');
    await writeFile(file, rule('a/*'));
    const metrics = new Metrics({ defaultMetrics: false });
    source = await PolicyFileSource.open({ file, anonymousPull: [], log: capture().log, metrics, pollMs: 100 });
    expect(source.current().allows('ci', 'repository', 'a/x', 'pull')).toBe(true);
    await writeFile(join(dir, 'next'), rule('b/*'));
    await rename(join(dir, 'next'), file);
    await eventually(async () => expect(source!.current().allows('ci', 'repository', 'b/x', 'pull')).toBe(true));
    expect(source.current().allows('ci', 'repository', 'a/x', 'pull')).toBe(false);
    expect(await metricValue(metrics, 'berth_policy_reloads_total', { result: 'success' })).toBe(2);
    expect(await metricValue(metrics, 'berth_policy_last_reload_success')).toBe(1);
  });

  test('a ConfigMap-style ..data symlink swap is seen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-policy-cm-'));
    await mkdir(join(dir, 'v1'));
    await writeFile(join(dir, 'v1', 'policy.yaml'), rule('a/*'));
    await symlink('v1', join(dir, '..data'));
    await symlink(join('..data', 'policy.yaml'), join(dir, 'policy.yaml'));
    const metrics = new Metrics({ defaultMetrics: false });
    source = await PolicyFileSource.open({ file: join(dir, 'policy.yaml'), anonymousPull: [], log: capture().log, metrics, pollMs: 100 });
    expect(source.current().allows('ci', 'repository', 'a/x', 'pull')).toBe(true);
    await mkdir(join(dir, 'v2'));
    await writeFile(join(dir, 'v2', 'policy.yaml'), rule('c/*'));
    await symlink('v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await eventually(async () => expect(source!.current().allows('ci', 'repository', 'c/x', 'pull')).toBe(true));
  });

  test('an invalid file is rejected: the old policy stays, the error is logged and exposed in metrics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-policy-bad-'));
    const file = join(dir, 'policy.yaml');
    await writeFile(file, rule('a/*'));
    const metrics = new Metrics({ defaultMetrics: false });
    const { log, lines } = capture();
    source = await PolicyFileSource.open({ file, anonymousPull: [], log, metrics, pollMs: 100 });
    const before = source.current();
    // A plain (non-atomic) write: the watcher may also catch the truncated, empty file, which is refused too.
    await writeFile(file, 'rules: [{subjects: [ci], repositories: ["A//"], actions: [pull]}]\n');
    await eventually(async () => expect(await metricValue(metrics, 'berth_policy_reloads_total', { result: 'failure' })).toBeGreaterThanOrEqual(1));
    expect(source.current()).toBe(before);
    expect(source.current().allows('ci', 'repository', 'a/x', 'pull')).toBe(true);
    expect(await metricValue(metrics, 'berth_policy_last_reload_success')).toBe(0);
    await eventually(async () => expect(lines.some((l) => l.includes('access policy rejected') && l.includes('rules.0.repositories.0'))).toBe(true));
    await writeFile(file, rule('d/*'));
    await eventually(async () => expect(source!.current().allows('ci', 'repository', 'd/x', 'pull')).toBe(true));
    expect(await metricValue(metrics, 'berth_policy_last_reload_success')).toBe(1);
  });

  test('a missing file at start is an empty policy with the failure recorded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-policy-missing-'));
    const metrics = new Metrics({ defaultMetrics: false });
    source = await PolicyFileSource.open({ file: join(dir, 'absent.yaml'), anonymousPull: ['pub/*'], log: capture().log, metrics, pollMs: 100 });
    expect(source.current().ruleCount).toBe(0);
    expect(source.current().allows('anonymous', 'repository', 'pub/x', 'pull')).toBe(true);
    expect(await metricValue(metrics, 'berth_policy_last_reload_success')).toBe(0);
    await writeFile(join(dir, 'absent.yaml'), rule('e/*'));
    await eventually(async () => expect(source!.current().allows('ci', 'repository', 'e/x', 'pull')).toBe(true));
  });
});
