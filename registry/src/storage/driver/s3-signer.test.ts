// minio pins the path (package.json "exports": ./dist/esm/*); the version is pinned exactly.
import { signV4 } from 'minio/dist/esm/signing.mjs';
import { amzDate, SigV4Signer } from './s3-signer.js';

const ACCESS = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function minioAuthorization(method: string, path: string, headers: Record<string, string>, payloadHash: string, date: Date, region = 'us-east-1') {
  return signV4({ method, path, headers, protocol: 'http:' }, ACCESS, SECRET, region, date, payloadHash);
}

test('AWS\'s published S3 example (GET Object with a range) signs as documented', () => {
  const date = new Date('2013-05-24T00:00:00Z');
  const payload = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const headers = { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': payload, 'x-amz-date': amzDate(date) };
  expect(new SigV4Signer(ACCESS, SECRET, 'us-east-1').authorization('GET', '/test.txt', headers, payload, date)).toBe(
    'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
    + 'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, '
    + 'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
});

test('AWS\'s SigV4 test suite, get-vanilla (another service)', () => {
  const date = new Date('2015-08-30T12:36:00Z');
  const headers = { host: 'example.amazonaws.com', 'x-amz-date': amzDate(date) };
  expect(new SigV4Signer('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', 'us-east-1', 'service')
    .authorization('GET', '/', headers, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', date)).toBe(
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, '
    + 'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
});

test.each([
  ['GET', '/bucket/berth/docker/registry/v2/repositories/a/_manifests/tags/latest/current/link', {}, 'UNSIGNED-PAYLOAD'],
  ['HEAD', '/bucket/k%20with%20%28parens%29%21', {}, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['PUT', '/bucket/blob?uploadId=abc%2Fdef&partNumber=3', { 'content-length': '5', 'content-type': 'application/octet-stream' },
    '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
  ['PUT', '/bucket/state', { 'if-match': '"etag  with   spaces"', 'user-agent': 'x' }, 'UNSIGNED-PAYLOAD'],
  ['PUT', '/state', { 'if-none-match': '*' }, 'UNSIGNED-PAYLOAD'],
  ['GET', '/bucket?list-type=2&prefix=a%2F&delimiter=%2F&encoding-type=url&max-keys=1', {}, 'UNSIGNED-PAYLOAD'],
  ['DELETE', '/bucket/x?uploads', { range: 'bytes=0-' }, 'UNSIGNED-PAYLOAD'],
])('%s %s signs as the minio client signs it', (method, path, extra, payloadHash) => {
  const date = new Date('2026-12-07T04:05:06.789Z');
  const headers: Record<string, string> = { host: '127.0.0.1:9000', 'x-amz-date': amzDate(date), 'x-amz-content-sha256': payloadHash, ...extra };
  const ours = new SigV4Signer(ACCESS, SECRET, 'us-east-1').authorization(method, path, headers, payloadHash, date);
  expect(ours).toBe(minioAuthorization(method, path, headers, payloadHash, date));
});

test('the signing key is kept for a day and derived again on the next, and each region keeps its own', () => {
  const eu = new SigV4Signer(ACCESS, SECRET, 'eu-west-1');
  const us = new SigV4Signer(ACCESS, SECRET, 'us-east-1');
  // In order: the same day twice (the cached key), across midnight, and back (a date before the cached one).
  for (const iso of ['2026-12-07T00:00:01Z', '2026-12-07T23:59:59Z', '2026-12-08T00:00:00Z', '2026-12-08T13:00:00Z', '2026-12-07T12:00:00Z']) {
    const date = new Date(iso);
    const headers = { host: 's3.example', 'x-amz-date': amzDate(date), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    expect(eu.authorization('GET', '/b/k', headers, 'UNSIGNED-PAYLOAD', date))
      .toBe(minioAuthorization('GET', '/b/k', headers, 'UNSIGNED-PAYLOAD', date, 'eu-west-1'));
    expect(us.authorization('GET', '/b/k', headers, 'UNSIGNED-PAYLOAD', date))
      .toBe(minioAuthorization('GET', '/b/k', headers, 'UNSIGNED-PAYLOAD', date, 'us-east-1'));
  }
});

test('amzDate is the basic ISO 8601 form SigV4 uses', () => {
  expect(amzDate(new Date('2026-12-07T04:05:06.789Z'))).toBe('20261207T040506Z');
});
