import { S3Driver } from '../../../registry/src/storage/driver/s3.js';
import { startS3Server, type S3Server } from '../../harness/s3-server.js';
import { runDriverSuite } from './driver-suite.js';

let server: Promise<S3Server> | undefined;

// The server starts on first use; if it cannot, every test fails with its log.
runDriverSuite('s3', async () => {
  const s3 = await (server ??= startS3Server());
  return {
    driver: new S3Driver({
      connection: { endpoint: s3.endpoint, region: 'us-east-1', accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true },
      bucket: s3.bucket, prefix: 'suite-root', requestTimeoutMs: 30_000,
    }),
    cleanup: async () => undefined,
  };
});

afterAll(async () => {
  await (await server)?.stop();
});
