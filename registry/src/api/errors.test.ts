// The error table against its two references, and docs/errors.md against the table.
//
// The OCI Distribution Spec v1.1 ("Error Codes", code-1 … code-14) lists the codes
// but gives them no status: it only requires a 4xx for each failure and names the
// statuses per endpoint (end-1 … end-14). The statuses come from CNCF Distribution,
// whose error registry (registry/api/errcode/register.go and registry/api/v2/errors.go,
// identical in v2.8.2 and v3.1.1 but for RANGE_INVALID, added in v3) is what
// Docker-era clients and tests were written against.
import { readFileSync } from 'node:fs';
import { HTTP_STATUS } from './errors.js';
import { Code, type CodeName } from '../errors.js';

const statusOf = (name: string) => HTTP_STATUS[name as CodeName];

const OCI_CODES = [
  'BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED',
  'DENIED', 'UNSUPPORTED', 'TOOMANYREQUESTS',
];

/** Distribution's status for each code it registers. */
const DISTRIBUTION_STATUS: Record<string, number> = {
  UNKNOWN: 500, UNSUPPORTED: 405, UNAUTHORIZED: 401, DENIED: 403, UNAVAILABLE: 503, TOOMANYREQUESTS: 429,
  DIGEST_INVALID: 400, SIZE_INVALID: 400, RANGE_INVALID: 416, NAME_INVALID: 400, TAG_INVALID: 400,
  NAME_UNKNOWN: 404, MANIFEST_UNKNOWN: 404, MANIFEST_INVALID: 400, MANIFEST_BLOB_UNKNOWN: 400,
  BLOB_UNKNOWN: 404, BLOB_UPLOAD_UNKNOWN: 404, BLOB_UPLOAD_INVALID: 404, PAGINATION_NUMBER_INVALID: 400,
};

/** Where Berth answers a wire code with another status than Distribution's register, and why (`CODE status`). */
const DEVIATIONS: Record<string, string> = {
  // Distribution registers 404, but its own API description (docs/spec/api.md, PATCH and PUT
  // of an upload) documents BLOB_UPLOAD_INVALID under "400 Bad Request", and OCI end-5/end-6 allow 400.
  'BLOB_UPLOAD_INVALID 400': 'upload failed, client restarts it',
  // OCI end-7 lists 413 for a manifest PUT; Distribution answers 400 for an oversized manifest.
  'MANIFEST_INVALID 413': 'manifest over the size limit',
  // Out of space is not "unavailable": 507 tells the client that retrying helps only once space is freed.
  'UNAVAILABLE 507': 'storage full',
  // Requests the HTTP parser refuses: HTTP's own status for each failure.
  'UNSUPPORTED 400': 'malformed HTTP request',
  'UNSUPPORTED 408': 'headers not received in time',
  'SIZE_INVALID 413': 'chunk extensions too large',
  'UNSUPPORTED 431': 'request head too large',
  'UNSUPPORTED 505': 'HTTP version not supported',
};

test('every OCI spec code is in the table, its own descriptor with a 4xx status', () => {
  for (const code of OCI_CODES) {
    const status = statusOf(code);
    expect([code, status >= 400 && status < 500]).toEqual([code, true]);
  }
});

test('every status is Distribution\'s, or a listed deviation', () => {
  const unexplained = Object.values(Code)
    .filter((c) => DISTRIBUTION_STATUS[c.code] !== statusOf(c.name) && !(`${c.code} ${statusOf(c.name)}` in DEVIATIONS))
    .map((c) => `${c.name}: ${c.code} ${statusOf(c.name)} (Distribution: ${DISTRIBUTION_STATUS[c.code]})`);
  expect(unexplained).toEqual([]);
  // And no deviation is listed that the table no longer has.
  const present = new Set(Object.values(Code).map((c) => `${c.code} ${statusOf(c.name)}`));
  expect(Object.keys(DEVIATIONS).filter((d) => !present.has(d))).toEqual([]);
  expect(statusOf('MANIFEST_BLOB_UNKNOWN')).toBe(400);
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
