import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig, parseConfigYaml, renderConfigYaml } from '#contract/config/load.js';
import { parseCli } from './cli.js';

test('an empty config gets every default', () => {
  const c = parseConfig({});
  expect(c.http.listen).toBe('0.0.0.0:5000');
  expect(c.storage.filesystem?.root).toBe('./data');
  expect(c.auth.enabled).toBe(false);
  expect(c.http.maxManifestBytes).toBe(4 * 1024 * 1024);
});

test.each([
  [{ htp: {} }, 'htp: unknown key'],
  [{ http: { listen: '127.0.0.1:5000', lisen: 'x' } }, 'http.lisen: unknown key'],
  [{ storage: { filesystem: { root: '/d', rooot: '/e' } } }, 'storage.filesystem.rooot: unknown key'],
  [{ http: { listen: 'nonsense' } }, 'http.listen: expected HOST:PORT'],
  [{ storage: { s3: { endpoint: 'http://x', bucket: 'bkt', pathStlye: true } } }, 'storage.s3.pathStlye: unknown key'],
])('a bad key fails naming it: %j', (doc, message) => {
  expect(() => parseConfig(doc)).toThrow(ConfigError);
  expect(() => parseConfig(doc)).toThrow(message);
});

test('both storage drivers at once is refused', () => {
  expect(() => parseConfig({ storage: { filesystem: { root: '/d' }, s3: { endpoint: 'http://x', bucket: 'bkt' } } })).toThrow('exactly one');
});

test('YAML errors name the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cfg-'));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'http: [unclosed');
  await expect(loadConfigFile(file)).rejects.toThrow(file);
});

test('rendered YAML parses back to the same config (the operator round trip)', () => {
  const input = { http: { listen: '0.0.0.0:5000' }, storage: { s3: { endpoint: 'http://minio:9000', bucket: 'registry', accessKeyFile: '/k', secretKeyFile: '/s' } }, metadata: { sqlite: { path: '/var/lib/berth/index.db' } }, auth: { enabled: true } };
  expect(parseConfigYaml(renderConfigYaml(input))).toEqual(parseConfig(input));
  expect(() => renderConfigYaml({ bogus: 1 } as never)).toThrow('bogus: unknown key');
});

test('CLI flags parse; unknown flags fail', () => {
  expect(parseCli(['--listen', '127.0.0.1:1', '--data', '/d', '--config', 'c.yaml']))
    .toEqual({ command: 'serve', dryRun: false, listen: '127.0.0.1:1', data: '/d', config: 'c.yaml', help: false });
  expect(parseCli(['scrub', '--dry-run', '--data', '/d'])).toEqual(expect.objectContaining({ command: 'scrub', dryRun: true, data: '/d' }));
  expect(() => parseCli(['--bogus'])).toThrow();
  expect(() => parseCli(['vacuum'])).toThrow('unknown command: vacuum');
  expect(() => parseCli(['serve', '--dry-run'])).toThrow('--dry-run goes with scrub');
  expect(() => parseCli(['scrub', 'extra'])).toThrow('unexpected argument: extra');
});

test('install-containerd-hosts takes --from, --to and --interval, and nothing else does', () => {
  expect(parseCli(['install-containerd-hosts', '--from', '/hosts', '--to', '/certs.d', '--interval', '10']))
    .toMatchObject({ command: 'install-containerd-hosts', from: '/hosts', to: '/certs.d', intervalSeconds: 10 });
  expect(() => parseCli(['install-containerd-hosts', '--from', '/hosts'])).toThrow('needs both');
  expect(() => parseCli(['serve', '--from', '/hosts', '--to', '/x'])).toThrow('go with install-containerd-hosts');
  expect(() => parseCli(['install-containerd-hosts', '--from', '/a', '--to', '/b', '--interval', '0'])).toThrow('--interval');
});

test('vulndb import takes a directory and an optional tag; --tag goes with it only', () => {
  expect(parseCli(['vulndb', 'import', './osv', '--tag', '2026-12-06'])).toMatchObject({ command: 'vulndb-import', vulndbDir: './osv', tag: '2026-12-06' });
  expect(parseCli(['vulndb', 'import', './osv']).tag).toBeUndefined();
  expect(() => parseCli(['vulndb', 'import'])).toThrow('needs a directory');
  expect(() => parseCli(['vulndb', 'export', 'x'])).toThrow('unknown vulndb command');
  expect(() => parseCli(['serve', '--tag', 'x'])).toThrow('--tag goes with vulndb import');
});
