// The official OCI conformance program against a real Berth process whose storage
// is the S3 driver on a real S3 server on loopback: MinIO for every version, and
// versitygw (a second S3 implementation, cheap to start) for the released one.
import { expectConformancePass } from '../harness/conformance.js';
import { startRegistryProcess, type RegistryProcess } from '../harness/registry-process.js';
import { startS3Server, type S3Implementation, type S3Server } from '../harness/s3-server.js';

const runs: [S3Implementation, string[]][] = [['minio', ['1.1', 'dev']], ['versitygw', ['1.1']]];

describe.each(runs)('OCI distribution-spec conformance (S3 storage on %s)', (implementation, versions) => {
  let s3: S3Server;
  let registry: RegistryProcess;

  beforeAll(async () => {
    s3 = await startS3Server({ implementation });
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

  test.each(versions)('OCI_VERSION=%s passes with no failures', async (version) => {
    await expectConformancePass(`on S3 (${implementation})`, { registry: registry.host, version });
  });
});
