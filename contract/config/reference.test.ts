import { readFileSync } from 'node:fs';
import { renderConfigReference } from '#contract/config/reference.js';

test('docs/configuration.md is generated from the current schema (npm run docs:config)', () => {
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  expect(committed).toBe(renderConfigReference());
});

test('the reference covers nested keys with their defaults', () => {
  const doc = renderConfigReference();
  expect(doc).toContain('| `http.listen` | string | `"0.0.0.0:5000"` |');
  expect(doc).toContain('| `storage.s3.pathStyle` | boolean | `true` |');
});
