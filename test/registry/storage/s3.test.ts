import { S3Driver } from '../../../registry/src/storage/driver/s3.js';
import { startS3Server, type S3Implementation, type S3Server } from '../../harness/s3-server.js';
import { runDriverSuite } from './driver-suite.js';

// The same suite on two S3 implementations: MinIO, and versitygw as a second
// opinion on what S3 allows (their listings, errors and multipart rules differ).
const implementations: S3Implementation[] = ['minio', 'versitygw'];
const servers = new Map<S3Implementation, Promise<S3Server>>();

for (const implementation of implementations) {
  // Each server starts on first use; if it cannot, every test fails with its log.
  runDriverSuite(`s3 (${implementation})`, async () => {
    let server = servers.get(implementation);
    if (!server) servers.set(implementation, server = startS3Server({ implementation }));
    const s3 = await server;
    return {
      driver: new S3Driver({
        connection: { endpoint: s3.endpoint, region: 'us-east-1', accessKey: s3.accessKey, secretKey: s3.secretKey, pathStyle: true },
        bucket: s3.bucket, prefix: 'suite-root', requestTimeoutMs: 30_000,
      }),
      cleanup: async () => undefined,
    };
  });
}

afterAll(async () => {
  // A server that failed to start has already failed its tests.
  for (const server of servers.values()) await (await server.catch(() => undefined))?.stop();
});
