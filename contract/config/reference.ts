// Walks the config schema into a flat reference (path, type, default, description)
// from which docs/configuration.md is generated, so the docs cannot drift.
import { z } from 'zod';
import { configSchema } from './schema.js';

export interface ConfigKey {
  readonly path: string;
  readonly type: string;
  readonly default?: string;
  readonly description?: string;
}

function unwrap(schema: z.ZodTypeAny): { inner: z.ZodTypeAny; def?: unknown; description?: string } {
  let s = schema;
  let def: unknown;
  let description = schema.description;
  for (;;) {
    description ??= s.description;
    if (s instanceof z.ZodDefault) {
      // instanceof narrows to ZodDefault<any>: name the inner type to keep `any` out.
      const d = s as z.ZodDefault<z.ZodTypeAny>;
      def = d._def.defaultValue() as unknown;
      s = d.removeDefault();
    } else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      s = (s as z.ZodOptional<z.ZodTypeAny> | z.ZodNullable<z.ZodTypeAny>).unwrap();
    } else if (s instanceof z.ZodEffects) {
      s = (s as z.ZodEffects<z.ZodTypeAny>).innerType();
    } else {
      return { inner: s, def, description: description ?? s.description };
    }
  }
}

function typeName(s: z.ZodTypeAny): string {
  if (s instanceof z.ZodString) return 'string';
  if (s instanceof z.ZodNumber) return 'number';
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodEnum) return (s.options as string[]).map((o) => `"${o}"`).join(' \\| ');
  if (s instanceof z.ZodRecord) return 'map';
  if (s instanceof z.ZodArray) {
    const item = unwrap((s as z.ZodArray<z.ZodTypeAny>).element).inner;
    return item instanceof z.ZodObject ? 'list of objects' : `list of ${typeName(item)}`;
  }
  if (s instanceof z.ZodObject) return 'object';
  return 'value';
}

export function configReference(): ConfigKey[] {
  const out: ConfigKey[] = [];
  const visit = (schema: z.ZodTypeAny, path: string) => {
    const { inner, def, description } = unwrap(schema);
    if (path) {
      const simple = def !== undefined && (typeof def !== 'object' || (Array.isArray(def) && def.length === 0));
      out.push({ path, type: typeName(inner), default: simple ? JSON.stringify(def) : undefined, description });
    }
    const object = inner instanceof z.ZodArray ? unwrap((inner as z.ZodArray<z.ZodTypeAny>).element).inner : inner;
    if (object instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(object.shape as Record<string, z.ZodTypeAny>)) {
        visit(child, path ? `${path}${inner instanceof z.ZodArray ? '[]' : ''}.${key}` : key);
      }
    }
  };
  visit(configSchema, '');
  return out;
}

export function renderConfigReference(): string {
  const rows = configReference().map((k) =>
    `| \`${k.path}\` | ${k.type} | ${k.default !== undefined ? `\`${k.default}\`` : ''} | ${(k.description ?? '').replace(/\|/g, '\\|')} |`);
  return [
    '# Registry configuration',
    '',
    'The registry reads one YAML file (`berth-registry --config FILE`); the operator renders the same format',
    'into a ConfigMap. Every key is optional; unknown keys fail start-up with their path. Flags `--listen` and',
    '`--data` override `http.listen` and `storage.filesystem.root`.',
    '',
    'This page is generated from `contract/config/schema.ts` by `npm run docs:config`; a test fails when it is stale.',
    '',
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
