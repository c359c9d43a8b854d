// The HTTPS certificate and key are reloaded when their files change (cert-manager
// and the operator renew them in place), without dropping connections: new TLS
// handshakes use the new pair, open connections finish on the old one.
import { readFile } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../log.js';
import { watchFiles, type FileWatch } from './file-watch.js';

export async function reloadTlsOnChange(server: HttpsServer, files: { certFile: string; keyFile: string }, log: Logger, pollMs?: number): Promise<FileWatch> {
  return watchFiles([files.certFile, files.keyFile], async () => {
    try {
      const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
      createSecureContext({ cert, key }); // throws on a mismatched or half-written pair
      server.setSecureContext({ cert, key });
      log.info({ msg: 'TLS certificate reloaded', certFile: files.certFile });
    } catch (err) {
      log.error({ msg: 'TLS certificate reload failed; keeping the previous certificate', certFile: files.certFile, error: (err as Error).message });
    }
  }, { pollMs });
}
