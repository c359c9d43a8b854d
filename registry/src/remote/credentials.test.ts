import { parseCredentials } from './credentials.js';

test('username and password as YAML or JSON', () => {
  expect(parseCredentials('username: robot\npassword: s3cret\n', 'ghcr.io')).toEqual({ username: 'robot', password: 's3cret' });
  expect(parseCredentials('{"username":"robot","password":"p:w"}', 'ghcr.io')).toEqual({ username: 'robot', password: 'p:w' });
});

test('a Docker config: the entry of the remote host, by auth or by fields', () => {
  const auth = Buffer.from('hub-user:hub:pass').toString('base64');
  const doc = JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth }, 'ghcr.io': { username: 'gh', password: 'tok' } } });
  expect(parseCredentials(doc, 'index.docker.io')).toEqual({ username: 'hub-user', password: 'hub:pass' });
  expect(parseCredentials(doc, 'ghcr.io')).toEqual({ username: 'gh', password: 'tok' });
  expect(() => parseCredentials(doc, 'quay.io')).toThrow(/no entry for quay.io/);
});

test('anything else is refused with the reason', () => {
  expect(() => parseCredentials('just text', 'x')).toThrow(/object/);
  expect(() => parseCredentials('username: only', 'x')).toThrow(/expected username and password/);
});
