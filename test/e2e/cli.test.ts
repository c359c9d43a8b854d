// The berth-registry command line: flags, fail-fast config errors, JSON access log.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, freePort, startRegistryProcess } from '../harness/registry-process.js';

const MAIN = join(REPO_ROOT, 'dist', 'registry', 'src', 'main.js');

function runCli(args: string[], waitForExit = true): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
    if (!waitForExit) setTimeout(() => child.kill('SIGTERM'), 1500);
  });
}

test('--listen and --data serve from the given address and folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN, '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'store')], { stdio: 'ignore' });
  try {
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 200, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
    const res = await fetch(`http://127.0.0.1:${port}/v2/cli/blobs/uploads/`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await readdir(join(dir, 'store'))).toContain('_uploads');
  } finally {
    child.kill('SIGTERM');
  }
});

test('a config file with an unknown key fails fast, naming the key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'http:\n  listen: 127.0.0.1:0\nstorage:\n  filesystem:\n    rot: /tmp/x\n');
  const { code, out } = await runCli(['--config', file]);
  expect(code).toBe(2);
  expect(out).toContain('storage.filesystem.rot: unknown key');
});

test('unknown flags fail with usage; --help prints it', async () => {
  const bad = await runCli(['--bogus']);
  expect(bad.code).toBe(2);
  expect(bad.out).toContain('Usage: berth-registry');
  const help = await runCli(['--help']);
  expect(help.code).toBe(0);
  expect(help.out).toContain('--listen HOST:PORT');
});

test('every request writes one JSON access-log line without credentials', async () => {
  const reg = await startRegistryProcess();
  try {
    await fetch(`${reg.url}/v2/logged/app/tags/list`, { headers: { Authorization: 'Basic c2VjcmV0OnNlY3JldA==' } });
    await reg.stop();
    const lines = (await reg.log()).trim().split('\n').map((l) => JSON.parse(l));
    const access = lines.filter((l) => l.msg === 'request' && l.path === '/v2/logged/app/tags/list');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: 'info', method: 'GET', status: 404, route: 'tags' });
    expect(typeof access[0].durationMs).toBe('number');
    expect(await reg.log()).not.toContain('c2VjcmV0OnNlY3JldA==');
  } finally {
    await reg.stop();
  }
});
