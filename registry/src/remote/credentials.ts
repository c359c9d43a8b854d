// Credentials for a remote registry, read from a file (a mounted Secret) and read
// again whenever it changes, so a rotated password applies without a restart.
// The file is YAML/JSON `{username, password}` or a Docker config.json, whose
// entry for the remote's host is used.
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { watchFiles, type FileWatch } from '../auth/file-watch.js';
import type { Logger } from '../log.js';

export interface RemoteCredentials {
  readonly username: string;
  readonly password: string;
}

export interface CredentialSource {
  /** The credentials now, or undefined for anonymous access. */
  current(): RemoteCredentials | undefined;
  /** Bumped on every change: tokens obtained with older credentials are dropped. */
  readonly generation: number;
  close(): void;
}

export const ANONYMOUS_SOURCE: CredentialSource = { current: () => undefined, generation: 0, close: () => undefined };

/** Parses a credentials document for `host`; throws with the reason when it holds none. */
export function parseCredentials(text: string, host: string): RemoteCredentials {
  const doc = yaml.load(text) as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== 'object') throw new Error('not a YAML or JSON object');
  if (typeof doc.username === 'string' && typeof doc.password === 'string') return { username: doc.username, password: doc.password };
  const auths = doc.auths as Record<string, { auth?: string; username?: string; password?: string }> | undefined;
  if (auths && typeof auths === 'object') {
    const entry = Object.entries(auths).find(([key]) => hostOf(key) === host)?.[1];
    if (!entry) throw new Error(`the Docker config has no entry for ${host}`);
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    throw new Error(`the Docker config entry for ${host} has no username and password`);
  }
  throw new Error('expected username and password, or a Docker config with auths');
}

/** "https://index.docker.io/v1/" and "ghcr.io" both name a host. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

/**
 * Opens a credentials file and keeps it current. A file that becomes unreadable or
 * invalid keeps the last good credentials in force (the error is logged), as the
 * access policy does.
 */
export async function openCredentialsFile(file: string, host: string, log: Logger): Promise<CredentialSource> {
  let value = parseCredentials(await readFile(file, 'utf8'), host);
  const source = {
    generation: 0,
    current: () => value,
    close: () => watch.close(),
  };
  const watch: FileWatch = await watchFiles([file], async () => {
    try {
      value = parseCredentials(await readFile(file, 'utf8'), host);
      source.generation++;
      log.info({ msg: 'remote credentials reloaded', file, host });
    } catch (err) {
      log.error({ msg: 'remote credentials file rejected; keeping the previous credentials', file, host, err: (err as Error).message });
    }
  });
  return source;
}
