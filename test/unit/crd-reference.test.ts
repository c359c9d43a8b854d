// docs/crd-reference.md is generated from crds/*.yaml (scripts/gen-crd-docs.mjs);
// it fails here whenever a CRD changes without the reference being regenerated.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { renderCrdReference } from '../../scripts/gen-crd-docs.mjs';
import { REPO_ROOT } from '../harness/registry-process.js';

interface Schema { properties?: Record<string, Schema>; items?: Schema; 'x-kubernetes-validations'?: Array<{ message?: string }> }
const crdDir = join(REPO_ROOT, 'crds');
const crds = readdirSync(crdDir).sort().map((f) => yaml.load(readFileSync(join(crdDir, f), 'utf8')) as {
  spec: { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: Schema } }> };
});

function walk(s: Schema, path: string, visit: (path: string, s: Schema) => void): void {
  visit(path, s);
  for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, path ? `${path}.${k}` : k, visit);
  // Array items have no row of their own; their fields do (`list[].field`).
  for (const [k, v] of Object.entries(s.items?.properties ?? {})) walk(v, `${path}[].${k}`, visit);
  for (const v of s.items?.['x-kubernetes-validations'] ?? []) visit(`${path}[]`, { 'x-kubernetes-validations': [v] });
}

describe('docs/crd-reference.md', () => {
  const generated = renderCrdReference();

  it('is the current output of the generator (npm run docs:crds)', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs', 'crd-reference.md'), 'utf8')).toBe(generated);
  });

  it.each(crds.map((c) => [c.spec.names.kind, c] as const))('documents every field and every validation message of %s', (_kind, crd) => {
    const missing: string[] = [];
    walk(crd.spec.versions[0].schema.openAPIV3Schema, '', (path, s) => {
      if ((path.startsWith('spec.') || path.startsWith('status.')) && !path.endsWith('[]') && !generated.includes(`| \`${path}\` |`)) missing.push(path);
      for (const v of s['x-kubernetes-validations'] ?? []) if (v.message && !generated.includes(v.message.replaceAll('|', '\\|'))) missing.push(v.message);
    });
    expect(missing).toEqual([]);
  });
});
