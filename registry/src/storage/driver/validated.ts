// Wraps any driver with path validation, so no request can address a key outside
// the layout (no "..", no empty or odd components) whatever a driver does with it.
import { InvalidPathError, type StorageDriver } from './driver.js';

const PATH = /^(\/[A-Za-z0-9._-]+)+$/;

export function checkPath(driverName: string, path: string, allowRoot = false): void {
  if (allowRoot && path === '/') return;
  if (!PATH.test(path) || path.split('/').some((c) => c === '.' || c === '..')) {
    throw new InvalidPathError(driverName, path);
  }
}

export function withPathValidation(driver: StorageDriver): StorageDriver {
  const check = (p: string, root = false) => checkPath(driver.name, p, root);
  return {
    name: driver.name,
    getContent: async (p) => (check(p), driver.getContent(p)),
    putContent: async (p, c) => (check(p), driver.putContent(p, c)),
    reader: async (p, o, l) => (check(p), driver.reader(p, o, l)),
    writer: async (p, o) => (check(p), driver.writer(p, o)),
    stat: async (p) => (check(p, true), driver.stat(p)),
    statFile: async (p) => (check(p), driver.statFile(p)),
    list: async (p) => (check(p, true), driver.list(p)),
    move: async (s, d) => (check(s), check(d), driver.move(s, d)),
    delete: async (p) => (check(p), driver.delete(p)),
    walk: async (p, v) => (check(p, true), driver.walk(p, v)),
    redirectURL: async (p, o) => (check(p), driver.redirectURL(p, o)),
    close: () => driver.close(),
  };
}
