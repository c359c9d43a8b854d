// Generates docs/crd-reference.md from the CRD schemas in crds/, so the reference
// can never drift from what the API server validates (test/unit/crd-reference.test.ts
// fails when the committed file is stale). Run: npm run docs:crds
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/** Kinds in the order a reader meets them. */
const ORDER = ['Registry', 'Repository', 'AccessPolicy'];

const code = (v) => `\`${v}\``;
// GitHub tables split on '|' even inside code spans, so every cell escapes it once.
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(s) {
  if (s['x-kubernetes-int-or-string']) return 'int or string';
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && !s.properties) return `map[string]${typeOf(s.additionalProperties)}`;
  return s.format ? `${s.type} (${s.format})` : s.type ?? 'any';
}

function constraints(s) {
  const out = [];
  if (s.enum) out.push(`one of ${s.enum.map(code).join(', ')}`);
  if (s.pattern) out.push(`pattern ${code(s.pattern)}`);
  if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) out.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined) out.push(`items ≥ ${s.minItems}`);
  if (s.maxItems !== undefined) out.push(`items ≤ ${s.maxItems}`);
  if (s['x-kubernetes-list-type'] === 'set') out.push('unique items');
  for (const v of s['x-kubernetes-validations'] ?? []) out.push(`rule: ${v.message ?? code(v.rule)}`);
  for (const v of s.items?.['x-kubernetes-validations'] ?? []) out.push(`rule on each item: ${v.message ?? code(v.rule)}`);
  return out;
}

/** One table row per field, depth first, with dotted paths (`[]` marks array items). */
function rows(schema, path, required, out) {
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    const p = path ? `${path}.${name}` : name;
    const def = s.default === undefined ? '' : code(JSON.stringify(s.default));
    const req = required.includes(name) ? 'yes' : '';
    const description = (s.description ?? '').replace(/\.$/, '');
    out.push(`| ${cell(code(p))} | ${cell(typeOf(s))} | ${req} | ${cell(def)} | ${cell([description, ...constraints(s)].filter(Boolean).join('; '))} |`);
    if (s.properties) rows(s, p, s.required ?? [], out);
    if (s.type === 'array' && s.items?.properties) rows(s.items, `${p}[]`, s.items.required ?? [], out);
  }
  return out;
}

function section(crd) {
  const { group, names, scope, versions } = crd.spec;
  const lines = [];
  for (const v of versions.filter((x) => x.served)) {
    const root = v.schema.openAPIV3Schema;
    lines.push(`## ${names.kind}`, '');
    lines.push(`\`apiVersion: ${group}/${v.name}\` · ${scope} · plural \`${names.plural}\`${names.shortNames ? ` · short names ${names.shortNames.map(code).join(', ')}` : ''}${names.categories ? ` · categories ${names.categories.map(code).join(', ')}` : ''}${v.subresources?.status ? ' · status subresource' : ''}`, '');
    const comment = crd.__comment;
    if (comment) lines.push(comment, '');
    const objectRules = root['x-kubernetes-validations'] ?? [];
    if (objectRules.length) lines.push(...objectRules.map((r) => `- Object rule: ${r.message ?? code(r.rule)}`), '');
    if (v.additionalPrinterColumns?.length) {
      lines.push('`kubectl get` columns:', '', '| Column | Type | JSONPath |', '|---|---|---|');
      for (const c of v.additionalPrinterColumns) lines.push(`| ${cell(c.name)} | ${c.type} | ${cell(code(c.jsonPath))} |`);
      lines.push('');
    }
    for (const part of ['spec', 'status']) {
      const s = root.properties?.[part];
      if (!s) continue;
      lines.push(`### ${names.kind} ${part}`, '');
      const specRules = s['x-kubernetes-validations'] ?? [];
      if (specRules.length) lines.push(...specRules.map((r) => `- Rule: ${r.message ?? code(r.rule)}`), '');
      lines.push('| Field | Type | Required | Default | Description and validation |', '|---|---|---|---|---|');
      lines.push(...rows(s, part, s.required ?? [], []), '');
    }
  }
  return lines.join('\n');
}

/** The reference as Markdown, from every CRD file in `crdDir`. */
export function renderCrdReference(crdDir = join(repoRoot, 'crds')) {
  const crds = readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => {
    const text = readFileSync(join(crdDir, f), 'utf8');
    const crd = yaml.load(text);
    // The file's leading comment says what the kind is for.
    crd.__comment = text.split('\n').filter((l) => l.startsWith('# ')).map((l) => l.slice(2)).join(' ');
    return crd;
  });
  crds.sort((a, b) => ORDER.indexOf(a.spec.names.kind) - ORDER.indexOf(b.spec.names.kind));
  return [
    '# CRD reference',
    '',
    '<!-- Generated by scripts/gen-crd-docs.mjs from crds/*.yaml; do not edit. Run `npm run docs:crds`. -->',
    '',
    `The Berth API: ${crds.map((c) => `[${c.spec.names.kind}](#${c.spec.names.kind.toLowerCase()})`).join(', ')}.`,
    'Durations are Go-style strings (`90s`, `1h30m`); quantities are Kubernetes quantities (`10Gi`).',
    'Rules are CEL validations: the API server refuses an object that breaks one, with the message shown.',
    '',
    ...crds.map(section),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(repoRoot, 'docs', 'crd-reference.md'), renderCrdReference());
}
