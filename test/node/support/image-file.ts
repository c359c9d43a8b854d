// Reads one file out of a docker-archive (what scripts/images/build.sh makes and
// the node imports), so a test can compare what a pod wrote to the host with
// what its image really holds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The bytes of `path` (absolute, e.g. /berth-credential-provider) in the topmost layer that has it. */
export function fileInArchive(archive: string, path: string): Buffer {
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' })) as Array<{ Layers: string[] }>;
  const dir = mkdtempSync(join(tmpdir(), 'berth-layer-'));
  try {
    for (const layer of [...manifest[0].Layers].reverse()) {
      const file = join(dir, 'layer.tar');
      writeFileSync(file, execFileSync('tar', ['-xOf', archive, layer], { maxBuffer: 1 << 30 }));
      // Layers are staged with `tar -C DIR .`: member names start with "./". tar detects compression itself.
      const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
      const member = members.find((m) => m === `.${path}` || m === path.slice(1));
      if (!member) continue;
      execFileSync('tar', ['-xf', file, '-C', dir, member]);
      return readFileSync(join(dir, member));
    }
    throw new Error(`${path} is in no layer of ${archive}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
