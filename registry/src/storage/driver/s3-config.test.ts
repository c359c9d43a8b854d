// The `storage.s3` config block becomes driver options: credentials from the
// config, from files, or from the environment, and the documented defaults.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '#contract/config/schema.js';
import { s3OptionsFromConfig } from './s3.js';

let dir: string;
const saved = { access: process.env.BERTH_S3_ACCESS_KEY, secret: process.env.BERTH_S3_SECRET_KEY };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-s3-config-'));
  delete process.env.BERTH_S3_ACCESS_KEY;
  delete process.env.BERTH_S3_SECRET_KEY;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const [name, value] of [['BERTH_S3_ACCESS_KEY', saved.access], ['BERTH_S3_SECRET_KEY', saved.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function s3Block(s3: Record<string, unknown>) {
  return configSchema.parse({ storage: { s3: { endpoint: 'http://minio.berth.svc:9000', bucket: 'registry', ...s3 } }, metadata: { engine: 'postgres', postgres: { url: 'postgres://x/y' } } }).storage.s3!;
}

test('defaults: path-style addressing, us-east-1, no prefix, 30 s timeout, 16 MiB parts, no redirects', () => {
  const o = s3OptionsFromConfig(s3Block({ accessKey: 'AK', secretKey: 'SK' }));
  expect(o.connection).toMatchObject({ endpoint: 'http://minio.berth.svc:9000', region: 'us-east-1', accessKey: 'AK', secretKey: 'SK', pathStyle: true });
  expect(o.prefix).toBe('');
  expect(o.requestTimeoutMs).toBe(30_000);
  expect(o.limits).toEqual({ partBytes: 16 * 1024 * 1024 });
  expect(o.redirect).toEqual({ enabled: false, externalEndpoint: undefined });
});

test('credentials come from files (trimmed), TLS from a CA file, redirects from the block', async () => {
  await writeFile(join(dir, 'access'), 'FILE-AK\n');
  await writeFile(join(dir, 'secret'), 'FILE-SK\n');
  await writeFile(join(dir, 'ca.pem'), 'not really a certificate');
  const o = s3OptionsFromConfig(s3Block({
    accessKeyFile: join(dir, 'access'), secretKeyFile: join(dir, 'secret'),
    tls: { caFile: join(dir, 'ca.pem'), insecureSkipVerify: false },
    redirect: { enabled: true, externalEndpoint: 'https://s3.example.com' },
    prefix: 'berth', pathStyle: false, requestTimeoutSeconds: 5,
  }));
  expect(o.connection.accessKey).toBe('FILE-AK');
  expect(o.connection.secretKey).toBe('FILE-SK');
  expect(o.connection.pathStyle).toBe(false);
  expect(o.connection.tls?.ca?.toString()).toBe('not really a certificate');
  expect(o.redirect).toEqual({ enabled: true, externalEndpoint: 'https://s3.example.com' });
  expect(o.prefix).toBe('berth');
  expect(o.requestTimeoutMs).toBe(5_000);
});

test('credentials fall back to BERTH_S3_ACCESS_KEY / BERTH_S3_SECRET_KEY, and their absence is a clear error', () => {
  expect(() => s3OptionsFromConfig(s3Block({}))).toThrow(/no accessKey .*BERTH_S3_ACCESS_KEY/);
  process.env.BERTH_S3_ACCESS_KEY = 'ENV-AK';
  expect(() => s3OptionsFromConfig(s3Block({}))).toThrow(/no secretKey .*BERTH_S3_SECRET_KEY/);
  process.env.BERTH_S3_SECRET_KEY = 'ENV-SK';
  const o = s3OptionsFromConfig(s3Block({}));
  expect([o.connection.accessKey, o.connection.secretKey]).toEqual(['ENV-AK', 'ENV-SK']);
});
