import { mkdtempSync, mkdirSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { install, OWNER_FILE } from './install.js';

let source: string;
let target: string;

beforeEach(() => {
  source = mkdtempSync(join(tmpdir(), 'node-agent-src-'));
  target = mkdtempSync(join(tmpdir(), 'node-agent-dst-'));
  writeFileSync(join(source, 'hosts'), 'main.team.svc:5000\nmain.team:5000\n');
  writeFileSync(join(source, 'hosts.toml'), 'server = "http://10.96.0.37:5000"\n');
});
afterEach(() => {
  rmSync(source, { recursive: true, force: true });
  rmSync(target, { recursive: true, force: true });
});

describe('install', () => {
  it('writes hosts.toml and the owner marker under every name, then nothing while unchanged', () => {
    expect(install(source, target, 'team/main').written.sort()).toEqual([
      `main.team.svc:5000/${OWNER_FILE}`, 'main.team.svc:5000/hosts.toml', `main.team:5000/${OWNER_FILE}`, 'main.team:5000/hosts.toml',
    ]);
    expect(readFileSync(join(target, 'main.team:5000', 'hosts.toml'), 'utf8')).toContain('10.96.0.37');
    expect(install(source, target, 'team/main')).toEqual({ written: [], removed: [] });
  });

  it('adds and removes the CA with TLS', () => {
    writeFileSync(join(source, 'ca.crt'), 'PEM');
    install(source, target, 'team/main');
    expect(readFileSync(join(target, 'main.team.svc:5000', 'ca.crt'), 'utf8')).toBe('PEM');
    rmSync(join(source, 'ca.crt'));
    expect(install(source, target, 'team/main').written).toContain('main.team.svc:5000/ca.crt');
    expect(existsSync(join(target, 'main.team.svc:5000', 'ca.crt'))).toBe(false);
  });

  it('removes its own directories for names it lost, and never touches anyone else\'s', () => {
    install(source, target, 'team/main');
    mkdirSync(join(target, 'docker.io'));
    writeFileSync(join(target, 'docker.io', 'hosts.toml'), 'server = "https://mirror"\n');
    writeFileSync(join(source, 'hosts'), 'main.team.svc:5000\n');
    expect(install(source, target, 'team/main').removed).toEqual(['main.team:5000']);
    expect(existsSync(join(target, 'docker.io', 'hosts.toml'))).toBe(true);
    expect(() => install(source, target, 'other/reg')).toThrow(/belongs to team\/main/);
  });

  it('refuses a host name that would leave certs.d', () => {
    writeFileSync(join(source, 'hosts'), '../../etc\n');
    expect(() => install(source, target, 'team/main')).toThrow(/refusing host name/);
  });
});
