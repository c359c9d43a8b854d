// The error table, the OCI spec's code list and docs/errors.md agree.
import { readFileSync } from 'node:fs';
import { HTTP_STATUS } from './errors.js';
import { Code, type CodeName } from '../errors.js';

const statusOf = (name: string) => HTTP_STATUS[name as CodeName];

// Error codes from the OCI Distribution Spec v1.1 ("Error Codes", code-1 … code-14).
const OCI_CODES: Record<string, number> = {
  BLOB_UNKNOWN: 404, BLOB_UPLOAD_INVALID: 400, BLOB_UPLOAD_UNKNOWN: 404, DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 404, MANIFEST_INVALID: 400, MANIFEST_UNKNOWN: 404, NAME_INVALID: 400,
  NAME_UNKNOWN: 404, SIZE_INVALID: 400, UNAUTHORIZED: 401, DENIED: 403, UNSUPPORTED: 405, TOOMANYREQUESTS: 429,
};

test('every OCI spec code is in the table with the spec status', () => {
  for (const [code, status] of Object.entries(OCI_CODES)) {
    const d = Object.values(Code).find((c) => c.code === code && statusOf(c.name) === status);
    expect([code, d && statusOf(d.name)]).toEqual([code, status]);
  }
});

test('docs/errors.md lists exactly the table', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`).sort();
  const table = Object.values(Code).map((c) => `${c.code} ${statusOf(c.name)} ${c.description}`).sort();
  expect(rows).toEqual(table);
});

test('every code has an HTTP status, and the status table names only codes', () => {
  expect(Object.keys(HTTP_STATUS).sort()).toEqual(Object.keys(Code).sort());
  for (const [name, d] of Object.entries(Code)) expect([name, d.name]).toEqual([name, name]);
});

test('every descriptor has a message and description', () => {
  for (const [name, d] of Object.entries(Code)) {
    expect([name, d.message.length > 0, d.description.length > 0]).toEqual([name, true, true]);
  }
});
