// The hash worker's program. It is evaluated from this string (`eval: true`)
// rather than loaded from a file, so that the same code runs from dist/ and
// from the TypeScript sources under test. It keeps one running hash per
// session, hashes the slots the main thread filled and transferred, and
// transfers them back: it never copies or allocates per byte.
export const HASH_WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const sessions = new Map();
parentPort.on('message', (m) => {
  switch (m.op) {
    case 'start':
      sessions.set(m.session, createHash(m.algorithm));
      break;
    case 'update':
      // A dropped session's slots are still acknowledged, so the main thread gets them back.
      sessions.get(m.session)?.update(new Uint8Array(m.slot, 0, m.length));
      parentPort.postMessage({ op: 'updated', session: m.session, slot: m.slot }, [m.slot]);
      break;
    case 'digest': {
      const hash = sessions.get(m.session);
      sessions.delete(m.session);
      parentPort.postMessage({ op: 'digest', session: m.session, hex: hash ? hash.digest('hex') : null });
      break;
    }
    case 'drop':
      sessions.delete(m.session);
      break;
  }
});
`;
