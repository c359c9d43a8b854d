// Decorates a driver with latency and error metrics per operation, so drivers
// themselves stay free of cross-cutting code.
import type { Metrics } from '../../metrics/metrics.js';
import { isNotFound, type StorageDriver } from './driver.js';

export function instrument(driver: StorageDriver, metrics: Metrics): StorageDriver {
  const timed = <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const end = metrics.storageDuration.startTimer({ driver: driver.name, operation });
      try {
        return await fn(...args);
      } catch (err) {
        if (!isNotFound(err)) metrics.storageErrors.inc({ driver: driver.name, operation });
        throw err;
      } finally {
        end();
      }
    };
  return {
    name: driver.name,
    getContent: timed('get_content', (p) => driver.getContent(p)),
    putContent: timed('put_content', (p, c) => driver.putContent(p, c)),
    reader: timed('reader', (p, o, l) => driver.reader(p, o, l)),
    writer: timed('writer', (p, o) => driver.writer(p, o)),
    stat: timed('stat', (p) => driver.stat(p)),
    statFile: timed('stat_file', (p) => driver.statFile(p)),
    list: timed('list', (p) => driver.list(p)),
    move: timed('move', (s, d) => driver.move(s, d)),
    delete: timed('delete', (p) => driver.delete(p)),
    walk: timed('walk', (p, v) => driver.walk(p, v)),
    redirectURL: timed('redirect_url', (p, o) => driver.redirectURL(p, o)),
    close: () => driver.close(),
  };
}
