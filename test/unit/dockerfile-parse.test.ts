// The Dockerfile reader the image test relies on, on both Dockerfiles.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/registry-process.js';
import { parseDockerfile } from '../node/support/dockerfile.js';

describe('parseDockerfile', () => {
  it('reads the final stage of Dockerfile.registry', () => {
    expect(parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile.registry'), 'utf8'))).toEqual({
      base: 'gcr.io/distroless/nodejs20-debian12:nonroot',
      user: '65532:65532',
      workdir: '/app',
      env: ['NODE_ENV=production', 'MALLOC_MMAP_THRESHOLD_=131072'],
      expose: ['5000'],
      entrypoint: ['/usr/local/bin/berth-registry'],
      cmd: ['--config', '/etc/berth/config.yaml'],
      copies: ['/app/package.json', '/app/node_modules', '/app/dist/contract', '/app/dist/registry', '/usr/local/bin/berth-registry'],
    });
  });

  it('reads the final stage of Dockerfile.operator', () => {
    const image = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile.operator'), 'utf8'));
    expect(image.entrypoint).toEqual(['/nodejs/bin/node', '/app/dist/operator/src/main.js']);
    expect(image.cmd).toEqual([]);
    expect(image.copies).toEqual(['/app/package.json', '/app/node_modules', '/app/dist/contract', '/app/dist/operator']);
  });

  it('resets CMD on ENTRYPOINT and resolves destinations against WORKDIR', () => {
    const image = parseDockerfile('FROM a AS b\nCMD ["x"]\nFROM c\nCMD ["y"]\nWORKDIR /w\nWORKDIR sub\nCOPY --from=b /s \\\n  ./d\nENTRYPOINT ["/e"]\n');
    expect(image).toMatchObject({ base: 'c', workdir: '/w/sub', cmd: [], entrypoint: ['/e'], copies: ['/w/sub/d'] });
  });
});
