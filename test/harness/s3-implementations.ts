// How each S3 implementation the harness can run is launched: its binary, its
// arguments, its credentials' environment. Both bind to loopback on the given
// port and keep their data under the given directory.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from './control-plane/binaries.js';
import type { PlaneCerts } from './control-plane/certs.js';
import { freePort } from './control-plane/ports.js';

/** versitygw (posix backend) or MinIO (single drive). */
export type S3Implementation = 'versitygw' | 'minio';

export interface S3Launch {
  readonly binary: string;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface LaunchInput {
  readonly dir: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly certs?: PlaneCerts;
}

export function s3Binary(implementation: S3Implementation): string {
  const path = join(binDir, implementation);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/testbed/build.sh ${implementation} (the test command does this first)`);
  }
  return path;
}

function versitygw({ dir, port, accessKey, secretKey, certs }: LaunchInput): S3Launch {
  const dataDir = join(dir, 'data');
  const metaDir = join(dir, 'meta'); // outside the data directory, or it would show up as a bucket
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(metaDir, { recursive: true });
  return {
    binary: s3Binary('versitygw'),
    args: [
      '--port', `127.0.0.1:${port}`, '--quiet',
      ...(certs ? ['--cert', certs.serverCert, '--key', certs.serverKey] : []),
      // Metadata in a sidecar directory, so no user xattrs are needed.
      'posix', '--sidecar', metaDir, dataDir,
    ],
    env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKey, ROOT_SECRET_ACCESS_KEY: secretKey },
  };
}

async function minio({ dir, port, accessKey, secretKey, certs }: LaunchInput): Promise<S3Launch> {
  const consolePort = await freePort(); // the console is off (MINIO_BROWSER), but MinIO still binds it
  const dataDir = join(dir, 'data');
  // Certificates from our own directory, never ~/.minio/certs.
  const certsDir = join(dir, 'certs');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(certsDir, { recursive: true });
  if (certs) {
    copyFileSync(certs.serverCert, join(certsDir, 'public.crt'));
    copyFileSync(certs.serverKey, join(certsDir, 'private.key'));
  }
  return {
    binary: s3Binary('minio'),
    args: [
      'server', '--quiet', '--anonymous',
      '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`,
      '--certs-dir', certsDir, dataDir,
    ],
    env: {
      ...process.env,
      MINIO_ROOT_USER: accessKey,
      MINIO_ROOT_PASSWORD: secretKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      MINIO_CALLHOME_ENABLE: 'off',
    },
  };
}

export async function s3Launch(implementation: S3Implementation, input: LaunchInput): Promise<S3Launch> {
  return implementation === 'minio' ? minio(input) : versitygw(input);
}
