// Every launch of the registry runs node with the same V8 flags: npm start, the
// image's launcher (Dockerfile.registry), the compiled entry point's shebang and
// the test harness. The hostile-input memory bound is measured with them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRY_NODE_FLAGS, REPO_ROOT } from '../harness/registry-process.js';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const flags = REGISTRY_NODE_FLAGS.join(' ');

test('npm start passes the flags', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toBe(`node ${flags} dist/registry/src/main.js`);
});

test("the image's launcher passes them in its shebang", () => {
  expect(read('Dockerfile.registry')).toContain(`printf '#!/nodejs/bin/node ${flags}\\n`);
});

test('the image built without Docker (scripts/images/build.sh) has the same launcher', () => {
  expect(read('scripts/images/build.sh')).toContain(`printf '#!/nodejs/bin/node ${flags}\\n`);
});

test("the entry point's shebang passes them", () => {
  expect(read('registry/src/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
});
