import { PathNotFoundError, StorageDriverError, StorageUnavailableError } from './driver.js';
import { translateS3Error } from './s3-errors.js';
import { S3ResponseError } from './s3-requests.js';

const s3Error = (code: string, statusCode: number) => Object.assign(new Error(`${code} happened`), { code, statusCode });

test.each([
  ['NoSuchKey', 404], ['NoSuchUpload', 404], ['NotFound', 404],
])('%s (%i) is a missing path', (code, status) => {
  expect(translateS3Error(s3Error(code, status), '/a')).toBeInstanceOf(PathNotFoundError);
});

test.each([
  ['SlowDown', 503], ['InternalError', 500], ['OperationAborted', 409], ['ConditionalRequestConflict', 409],
  ['ExistingObjectIsDirectory', 409], ['SomethingNew', 502], ['ECONNRESET', 0],
  ['UND_ERR_SOCKET', 0], ['UND_ERR_CONNECT_TIMEOUT', 0], ['UND_ERR_HEADERS_TIMEOUT', 0], ['UND_ERR_BODY_TIMEOUT', 0],
])('%s (%i) means try again later: 503 with Retry-After for the client', (code, status) => {
  const err = translateS3Error(s3Error(code, status), '/_uploads/x/info');
  expect(err).toBeInstanceOf(StorageUnavailableError);
  expect(err.message).toContain('/_uploads/x/info');
});

test.each([
  ['AccessDenied', 403], ['NoSuchBucket', 404], ['InvalidArgument', 400],
])('%s (%i) is a storage error, neither missing nor transient', (code, status) => {
  const err = translateS3Error(s3Error(code, status), '/a');
  expect(err).toBeInstanceOf(StorageDriverError);
  expect(err).not.toBeInstanceOf(PathNotFoundError);
  expect(err).not.toBeInstanceOf(StorageUnavailableError);
});

test('object GET answers (S3ResponseError) map like the minio client\'s errors', () => {
  expect(translateS3Error(new S3ResponseError(404, 'NoSuchKey', 'The specified key does not exist.'), '/a')).toBeInstanceOf(PathNotFoundError);
  expect(translateS3Error(new S3ResponseError(503, 'SlowDown', 'Please reduce your request rate.'), '/a')).toBeInstanceOf(StorageUnavailableError);
  expect(translateS3Error(new S3ResponseError(502, '', 'S3 answered 502'), '/a')).toBeInstanceOf(StorageUnavailableError);
  const range = translateS3Error(new S3ResponseError(416, 'InvalidRange', 'The requested range is not satisfiable'), '/a');
  expect(range).not.toBeInstanceOf(StorageUnavailableError);
  expect(range.message).toMatch(/InvalidRange/); // what the driver's reader tells an offset at the end by
});
