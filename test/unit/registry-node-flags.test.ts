// Every launch of the registry runs node with the same V8 flags and allocator
// environment: npm start, the image's launcher (Dockerfile.registry, and the image
// scripts/images/build.sh assembles), the compiled entry point's shebang and the test
// harness. The hostile-input memory bound and the soak are measured with them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTRY_ENV, REGISTRY_NODE_FLAGS, REPO_ROOT } from '../harness/registry-process.js';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const flags = REGISTRY_NODE_FLAGS.join(' ');
const env = Object.entries(REGISTRY_ENV).map(([k, v]) => `${k}=${v}`);

test('npm start passes the flags', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toBe(`${env.join(' ')} node ${flags} dist/registry/src/main.js`);
});

test("the image's launcher passes them in its shebang", () => {
  expect(read('Dockerfile.registry')).toContain(`printf '#!/nodejs/bin/node ${flags}\\n`);
});

test('the image built without Docker (scripts/images/build.sh) has the same launcher', () => {
  expect(read('scripts/images/build.sh')).toContain(`printf '#!/nodejs/bin/node ${flags}\\n`);
});

test("the entry point's shebang passes them", () => {
  expect(read('registry/src/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S ${env.join(' ')} node ${flags}`);
});

test('the image sets the allocator environment (Dockerfile ENV and build.sh config), which the operator does not override', () => {
  const dockerfile = read('Dockerfile.registry');
  const build = read('scripts/images/build.sh');
  for (const e of env) {
    expect(dockerfile).toContain(`\nENV ${e}\n`);
    expect(build).toContain(`--config.env ${e}`);
  }
  // The registry Deployment's container sets no environment of its own.
  expect(read('operator/src/controllers/registry/workload.ts')).not.toMatch(/\benv:/);
});

test('the entry point as the shebang runs it gets the environment', async () => {
  const { execFileSync } = await import('node:child_process');
  const line = read('registry/src/main.ts').split('\n')[0].slice(2); // what the kernel runs: /usr/bin/env -S ...
  const [envBin, split, rest] = [line.split(' ')[0], line.split(' ')[1], line.split(' ').slice(2).join(' ')];
  const script = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(Object.keys(REGISTRY_ENV))}.map((k) => [k, process.env[k]]))))`;
  const out = execFileSync(envBin, [split, `${rest} -e`, script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(JSON.parse(out)).toEqual(REGISTRY_ENV);
});
