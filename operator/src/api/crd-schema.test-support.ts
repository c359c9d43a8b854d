// The structural part of a CRD's openAPIV3Schema, checked the way the API server
// checks it (types, required fields, enums, patterns, bounds, unknown fields),
// for tests that hold the operator's TypeScript types to the CRDs. CEL rules
// (x-kubernetes-validations) are the API server's business and are not evaluated.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-int-or-string'?: boolean;
}

/** The served version's schema of a CRD file. */
export function crdSchema(file: URL): Schema {
  const crd = yaml.load(readFileSync(file, 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
  return crd.spec.versions[0].schema.openAPIV3Schema;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every way `value` breaks `schema`, as "path: problem"; empty when it conforms. */
export function violations(schema: Schema, value: unknown, path = ''): string[] {
  const at = path || '(root)';
  if (schema.anyOf) return schema.anyOf.some((s) => violations(s, value, path).length === 0) ? [] : [`${at}: matches no anyOf branch`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case 'object': {
      if (!isObject(value)) return [`${at}: not an object`];
      const out = (schema.required ?? []).filter((k) => !(k in value)).map((k) => `${at}: required ${k} missing`);
      for (const [k, v] of Object.entries(value)) {
        const field = schema.properties?.[k] ?? schema.additionalProperties;
        // An object with neither (metadata) takes anything, as the API server does for it.
        if (field) out.push(...violations(field, v, path ? `${path}.${k}` : k));
        else if (schema.properties) out.push(`${path ? `${path}.${k}` : k}: not in the schema`);
      }
      return out;
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: not an array`];
      const out: string[] = [];
      if (value.length < (schema.minItems ?? 0) || value.length > (schema.maxItems ?? Infinity)) out.push(`${at}: ${value.length} items`);
      value.forEach((v, i) => out.push(...(schema.items ? violations(schema.items, v, `${path}[${i}]`) : [])));
      return out;
    }
    case 'string':
      if (typeof value !== 'string') return [`${at}: not a string`];
      if (value.length < (schema.minLength ?? 0) || value.length > (schema.maxLength ?? Infinity)) return [`${at}: length ${value.length}`];
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) return [`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`];
      if (schema.format === 'date-time' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)) return [`${at}: not a date-time`];
      return [];
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return [`${at}: not an ${schema.type}`];
      if (value < (schema.minimum ?? -Infinity) || value > (schema.maximum ?? Infinity)) return [`${at}: ${value} out of bounds`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    default:
      return [];
  }
}

/** Schema properties below `path` that `value` leaves out (array items: every element is looked into). */
export function uncovered(schema: Schema, value: unknown, path: string): string[] {
  if (schema.type === 'array' && schema.items) {
    const items = Array.isArray(value) ? value : [];
    if (schema.items.properties && items.length === 0) return [`${path}[]`];
    const missing = items.map((v) => new Set(uncovered(schema.items!, v, `${path}[]`)));
    // A field is covered when any element sets it.
    return missing.length ? [...missing[0]].filter((p) => missing.every((m) => m.has(p))) : [];
  }
  if (!schema.properties) return [];
  const obj = isObject(value) ? value : {};
  return Object.entries(schema.properties).flatMap(([k, s]) => (k in obj ? uncovered(s, obj[k], `${path}.${k}`) : [`${path}.${k}`]));
}
