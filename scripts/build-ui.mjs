// Builds the web UI (registry/ui/src) into registry/ui/dist: one minified ES
// module and one stylesheet, named by content hash, and the page that loads them.
// Preact is bundled in; nothing is fetched at run time. Prints the gzipped size.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'registry/ui/src');
const out = join(root, 'registry/ui/dist');

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [join(src, 'main.tsx'), join(src, 'style.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
const template = await readFile(join(src, 'index.html'), 'utf8');
await writeFile(join(out, 'index.html'), template.replace('%SCRIPT%', `/ui/assets/${script}`).replace('%STYLE%', `/ui/assets/${style}`));
const js = await readFile(join(out, 'assets', script));
const sizes = { script, bytes: js.length, gzipBytes: gzipSync(js).length };
await writeFile(join(out, 'build.json'), `${JSON.stringify(sizes)}\n`);
console.log(`ui: ${script} ${sizes.bytes} bytes, ${sizes.gzipBytes} gzipped`);
