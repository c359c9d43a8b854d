// Helm installs the chart's crds/ as they are; they must be the very files the
// operator is developed and tested against (crds/ at the repository root).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR } from '../harness/helm-chart.js';
import { REPO_ROOT } from '../harness/registry-process.js';

const topLevel = join(REPO_ROOT, 'crds');
const inChart = join(CHART_DIR, 'crds');

describe('chart CRDs', () => {
  it('ships the same set of CRD files as crds/', () => {
    expect(readdirSync(inChart).sort()).toEqual(readdirSync(topLevel).sort());
  });

  it.each(readdirSync(topLevel).sort())('%s is byte-for-byte the file in crds/', (file) => {
    const a = readFileSync(join(topLevel, file));
    const b = readFileSync(join(inChart, file));
    if (!a.equals(b)) throw new Error(`charts/berth/crds/${file} differs from crds/${file}: run "cp crds/*.yaml charts/berth/crds/"`);
    expect(b.length).toBeGreaterThan(0);
  });
});
