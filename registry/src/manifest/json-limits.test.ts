// The pre-scan sees what JSON.parse builds: the same depth, member and value
// counts and string lengths, on random documents and on the shapes attackers send.
import { findJsonLimitViolation, type JsonLimits } from './json-limits.js';

const open: JsonLimits = { maxDepth: 1e9, maxMembers: 1e9, maxValues: 1e9, maxStringBytes: 1e9 };
const scan = (text: string, limits: Partial<JsonLimits> = {}) => findJsonLimitViolation(Buffer.from(text), { ...open, ...limits });

/** What JSON.parse built: deepest nesting, largest container, values, longest string or key (bytes as written). */
function measure(value: unknown, depth = 1): { depth: number; members: number; values: number; string: number } {
  const out = { depth: 0, members: 0, values: 1, string: 0 };
  const fold = (m: ReturnType<typeof measure>) => {
    out.depth = Math.max(out.depth, m.depth);
    out.members = Math.max(out.members, m.members);
    out.values += m.values;
    out.string = Math.max(out.string, m.string);
  };
  if (Array.isArray(value)) {
    out.depth = depth;
    out.members = value.length;
    value.forEach((v) => fold(measure(v, depth + 1)));
  } else if (value !== null && typeof value === 'object') {
    out.depth = depth;
    const keys = Object.keys(value);
    out.members = keys.length;
    for (const k of keys) {
      out.string = Math.max(out.string, Buffer.byteLength(JSON.stringify(k)) - 2);
      fold(measure((value as Record<string, unknown>)[k], depth + 1));
    }
  } else {
    out.string = Buffer.byteLength(JSON.stringify(value)) - (typeof value === 'string' ? 2 : 0);
  }
  return out;
}

function randomDoc(seed: number): unknown {
  let s = seed;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
  const gen = (depth: number): unknown => {
    const kind = depth > 4 ? rand(4) : rand(6);
    if (kind === 0) return rand(100000) - 500;
    if (kind === 1) return ['a', 'quote " inside', 'back\\slash\\', 'uni \u00e9\u4e2d', '', 'esc \\" end'][rand(6)];
    if (kind === 2) return [true, false, null, 1.5e-7][rand(4)];
    if (kind === 3) return `s${'x'.repeat(rand(40))}`;
    if (kind === 4) return Array.from({ length: rand(6) }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: rand(6) }, (_, i) => [`k${i}${'"\\'.slice(0, rand(3))}`, gen(depth + 1)]));
  };
  return gen(1);
}

test('on random documents the scan counts exactly what JSON.parse builds', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const doc = randomDoc(seed);
    const text = JSON.stringify(doc, null, seed % 3 === 0 ? 2 : undefined);
    const m = measure(JSON.parse(text));
    // Within every limit at exactly the measured figure, and beyond the one just below it.
    expect(scan(text, { maxDepth: Math.max(m.depth, 2), maxMembers: Math.max(m.members, 1), maxValues: m.values, maxStringBytes: m.string })).toBeUndefined();
    if (m.depth > 2) expect(scan(text, { maxDepth: m.depth - 1 })?.limit).toBe('maxDepth');
    if (m.members > 1) expect(scan(text, { maxMembers: m.members - 1 })?.limit).toBe('maxMembers');
    expect(scan(text, { maxValues: m.values - 1 })?.limit).toBe('maxValues');
    if (m.string > 0) expect(scan(text, { maxStringBytes: m.string - 1 })?.limit).toBe('maxStringBytes');
  }
});

test('deep nesting, wide containers, many values and long strings are each named with the offset', () => {
  expect(scan(`{"annotations":${'['.repeat(1000)}${']'.repeat(1000)}}`, { maxDepth: 32 })).toEqual({
    limit: 'maxDepth', max: 32, offset: 46, reason: 'nesting deeper than 32 (limit 32, at byte 46)',
  });
  expect(scan(`{"layers":[${Array(20).fill('{}').join(',')}]}`, { maxMembers: 10 })?.reason).toMatch(/^more than 10 elements in an array/);
  expect(scan(`{${Array.from({ length: 20 }, (_, i) => `"k${i}":1`).join(',')}}`, { maxMembers: 10 })?.reason).toMatch(/^more than 10 members in an object/);
  expect(scan(`[${Array(10).fill('[1,2]').join(',')}]`, { maxValues: 25 })?.limit).toBe('maxValues');
  expect(scan(`{"a":"${'x'.repeat(100)}"}`, { maxStringBytes: 99 })?.reason).toMatch(/^a string of 100 bytes/);
  expect(scan(`{"${'k'.repeat(100)}":1}`, { maxStringBytes: 99 })?.limit).toBe('maxStringBytes');
  expect(scan(`[${'9'.repeat(100)}]`, { maxStringBytes: 99 })?.reason).toMatch(/^a number or literal of 100 bytes/);
});

test('escaped quotes and backslashes do not end a string early', () => {
  expect(scan(JSON.stringify({ a: 'x\\"[[[[[[' }), { maxDepth: 2 })).toBeUndefined();
  expect(scan(JSON.stringify({ a: 'x\\\\' , b: [[[]]] }), { maxDepth: 3 })?.limit).toBe('maxDepth');
});

test('what the scan cannot follow is left to JSON.parse, which refuses it', () => {
  for (const bad of ['{"a":"unterminated', ']]]', '{"a":1}}', ',', '', 'not json', '{"a":[1,2}']) {
    expect(scan(bad, { maxDepth: 4, maxMembers: 4, maxValues: 8, maxStringBytes: 8 })).toBeUndefined();
    expect(() => JSON.parse(bad)).toThrow();
  }
});
