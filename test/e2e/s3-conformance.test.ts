// The official OCI conformance program against a real Berth process whose storage
// is the S3 driver on a real S3 server (versitygw on loopback).
import { expectConformancePass } from '../harness/conformance.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { startS3Server, type S3Server } from '../harness/s3-server.js';

describe('OCI distribution-spec conformance (S3 storage)', () => {
  let s3: S3Server;
  let registry: RegistryProcess;

  beforeAll(async () => {
    s3 = await startS3Server();
    registry = await startRegistryProcess({
      config: {
        log: { accessLog: false },
        storage: { s3: { endpoint: s3.endpoint, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, prefix: 'conformance' } },
      },
    });
  });

  afterAll(async () => {
    await registry?.stop();
    await s3?.stop();
  });

  test.each(['1.1', 'dev'])('OCI_VERSION=%s passes with no failures', async (version) => {
    await expectConformancePass('on S3', { registry: registry.host, version });
  });
});
