// The requests on one key (s3-requests.ts) through S3Bucket, against a fake store on
// loopback: what each answer becomes, and that every request is signed as the minio
// client would sign it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signV4 } from 'minio/dist/esm/signing.mjs';
import { PathNotFoundError, StorageDriverError, StorageUnavailableError } from './driver.js';
import { S3Bucket } from './s3-bucket.js';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

const ACCESS = 'access';
const SECRET = 'secret/key';
let answer: Answer;
let seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer; signatureOk: boolean }>;
let server: http.Server;
let bucket: S3Bucket;
let connections = 0;

/** Whether the request's Authorization is what minio's signV4 computes for the headers it names as signed. */
function signedAsMinio(req: http.IncomingMessage): boolean {
  const auth = String(req.headers.authorization);
  const names = /SignedHeaders=([^,]+)/.exec(auth)?.[1].split(';') ?? [];
  const headers = Object.fromEntries(names.map((n) => [n, String(req.headers[n])]));
  const d = String(req.headers['x-amz-date']);
  const date = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
  const request = { method: req.method ?? '', path: req.url ?? '', headers, protocol: 'http:' } as Parameters<typeof signV4>[0];
  return auth === signV4(request, ACCESS, SECRET, 'us-east-1', date, String(req.headers['x-amz-content-sha256']));
}

const xmlError = (code: string, message: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), signatureOk: signedAsMinio(req) });
      res.writeHead(answer.status, answer.headers);
      res.end(req.method === 'HEAD' ? undefined : answer.body);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  bucket = new S3Bucket({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', accessKey: ACCESS, secretKey: SECRET, pathStyle: true }, 'b', 2_000);
});

beforeEach(() => {
  seen = [];
});

afterAll(async () => {
  await bucket.close();
  await new Promise((r) => server.close(r));
});

test('HEAD: 200 is the object, 404 is no object (find) or PathNotFoundError (head), and the key is escaped as minio escapes it', async () => {
  answer = { status: 200, headers: { 'content-length': '42', 'last-modified': 'Mon, 07 Dec 2026 04:00:00 GMT', etag: '"abc"' } };
  expect(await bucket.find('/p', 'pre/a b(1)!')).toEqual({ key: 'pre/a b(1)!', size: 42, lastModified: new Date('2026-12-07T04:00:00Z') });
  answer = { status: 404 };
  expect(await bucket.find('/p', 'pre/x')).toBeUndefined();
  await expect(bucket.head('/p', 'pre/x')).rejects.toBeInstanceOf(PathNotFoundError);
  expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['HEAD /b/pre/a%20b%281%29%21', 'HEAD /b/pre/x', 'HEAD /b/pre/x']);
  expect(seen.every((s) => s.signatureOk)).toBe(true);
  expect(seen[0].headers['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('HEAD: 503 is StorageUnavailableError, 403 a storage error with the code from MinIO\'s header', async () => {
  answer = { status: 503 };
  await expect(bucket.find('/p', 'k')).rejects.toBeInstanceOf(StorageUnavailableError);
  answer = { status: 403, headers: { 'x-minio-error-code': 'AccessDenied', 'x-minio-error-desc': '"Access Denied."' } };
  const err = await bucket.find('/p', 'k').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StorageDriverError);
  expect(err).not.toBeInstanceOf(StorageUnavailableError);
  expect(err).not.toBeInstanceOf(PathNotFoundError);
  expect((err as Error).message).toBe('s3: /p: AccessDenied: Access Denied.');
});

test('GET of a small object: its bytes and ETag; NoSuchKey is no object, NoSuchBucket is not, SlowDown is unavailable', async () => {
  answer = { status: 200, headers: { etag: '"e1"' }, body: 'hello' };
  expect(await bucket.findWithEtag('/p', 'k')).toEqual({ body: Buffer.from('hello'), etag: '"e1"' });
  expect(await bucket.getBuffer('/p', 'k')).toEqual(Buffer.from('hello'));
  answer = { status: 404, body: xmlError('NoSuchKey', 'The specified key does not exist.') };
  expect(await bucket.findWithEtag('/p', 'k')).toBeUndefined();
  await expect(bucket.getBuffer('/p', 'k')).rejects.toBeInstanceOf(PathNotFoundError);
  answer = { status: 404, body: xmlError('NoSuchBucket', 'The specified bucket does not exist') };
  const missingBucket = await bucket.findWithEtag('/p', 'k').catch((e: unknown) => e);
  expect(missingBucket).toBeInstanceOf(StorageDriverError);
  expect(missingBucket).not.toBeInstanceOf(PathNotFoundError);
  expect((missingBucket as Error).message).toMatch(/NoSuchBucket/);
  answer = { status: 503, body: xmlError('SlowDown', 'Please reduce your request rate.') };
  await expect(bucket.getBuffer('/p', 'k')).rejects.toThrow(/SlowDown: Please reduce your request rate/);
  await expect(bucket.getBuffer('/p', 'k')).rejects.toBeInstanceOf(StorageUnavailableError);
  expect(seen.every((s) => s.signatureOk && s.method === 'GET' && s.url === '/b/k')).toBe(true);
});

test('PUT: the body with its sha256 signed; conditional PUTs send their condition and a lost race says PreconditionFailed', async () => {
  answer = { status: 200, headers: { etag: '"new"' } };
  await bucket.put('/p', 'k', Buffer.from('hello'));
  expect(await bucket.putConditional('/p', 'k~/state', Buffer.from('{}'), { ifNoneMatch: '*' })).toBe('"new"');
  expect(await bucket.putConditional('/p', 'k~/state', Buffer.from('{}'), { ifMatch: '"old"' })).toBe('"new"');
  expect(await bucket.uploadPart('/p', 'k', 'up/1', 2, Buffer.from('part'))).toEqual({ part: 2, etag: 'new' });
  expect(seen.map((s) => [s.url, s.body.toString(), s.headers['if-none-match'], s.headers['if-match']])).toEqual([
    ['/b/k', 'hello', undefined, undefined],
    ['/b/k~/state', '{}', '*', undefined],
    ['/b/k~/state', '{}', undefined, '"old"'],
    ['/b/k?uploadId=up%2F1&partNumber=2', 'part', undefined, undefined],
  ]);
  expect(seen[0].headers['x-amz-content-sha256']).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  expect(seen.every((s) => s.signatureOk && s.method === 'PUT')).toBe(true);
  answer = { status: 412, body: xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold') };
  await expect(bucket.putConditional('/p', 'k~/state', Buffer.from('{}'), { ifMatch: '"old"' })).rejects.toThrow(/PreconditionFailed/);
  answer = { status: 503, body: xmlError('SlowDown', 'Please reduce your request rate.') };
  await expect(bucket.put('/p', 'k', Buffer.from('x'))).rejects.toBeInstanceOf(StorageUnavailableError);
});

test('DELETE of one key: 204 and NoSuchKey are done, NoSuchBucket and 500 are not', async () => {
  answer = { status: 204 };
  await bucket.deleteMany('/p', ['k']);
  answer = { status: 404, body: xmlError('NoSuchKey', 'The specified key does not exist.') };
  await bucket.deleteMany('/p', ['k']);
  expect(seen.map((s) => `${s.method} ${s.url} ${s.signatureOk}`)).toEqual(['DELETE /b/k true', 'DELETE /b/k true']);
  answer = { status: 404, body: xmlError('NoSuchBucket', 'The specified bucket does not exist') };
  await expect(bucket.deleteMany('/p', ['k'])).rejects.toThrow(/NoSuchBucket/);
  answer = { status: 500, body: xmlError('InternalError', 'We encountered an internal error.') };
  await expect(bucket.deleteMany('/p', ['k'])).rejects.toBeInstanceOf(StorageUnavailableError);
});

test('a HEAD keeps its connection for the next request (undici would close it)', async () => {
  answer = { status: 200, headers: { 'content-length': '1', 'last-modified': 'Mon, 07 Dec 2026 04:00:00 GMT', etag: '"a"' } };
  await bucket.find('/p', 'k');
  const before = connections;
  for (let i = 0; i < 5; i++) await bucket.find('/p', 'k');
  answer = { status: 404 };
  for (let i = 0; i < 5; i++) await bucket.find('/p', 'k');
  expect(connections).toBe(before);
});
