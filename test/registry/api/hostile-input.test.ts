// The hostile-input suite: one registry process with default settings receives
// each hostile class (test/harness/hostile.ts) at 16 in flight, bounded in count.
// Every answer must carry the spec's JSON error body with the right status and
// name the limit it hit; a second client polling a manifest must be answered
// within 1 s throughout; and the process's peak resident memory (kernel VmHWM
// from /proc/<pid>/status, plus polling) must stay within 150 MiB, the issue's
// bound with default settings. The process idles at 69-78 MiB since the
// supply-chain, pull-through cache and web UI modules load only when configured
// (docs/BENCHMARKS.md, "Reliability").
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { jsonClasses, parserClass, probe, sendHostile, slowClass, uploadFloodClass, type HostileAnswer, type HostileRequest } from '../../harness/hostile.js';
import { Client } from '../../harness/workload.js';
import { RssSampler } from '../../bench/rss.js';

const IN_FLIGHT = 16;
/** Peak resident memory of the registry process under any class. */
const PEAK_MIB = 150;
const SECOND_CLIENT_MS = 1_000;

let registry: RegistryProcess;
let rss: RssSampler;
let overallPeak = 0;
/** Each class's peak, printed at the end for docs/BENCHMARKS.md. */
const peaks: string[] = [];
let idleMiB = 0;
const json = jsonClasses('hostile/app');

beforeAll(async () => {
  registry = await startRegistryProcess({ config: { log: { level: 'warn', accessLog: false } } });
  const image = await new Client(registry.url).pushImage('probe/app', 'v1');
  expect(image).toBeDefined();
  rss = new RssSampler(registry.child.pid!);
  idleMiB = rss.stop();
  rss = new RssSampler(registry.child.pid!);
}, 60_000);

afterAll(async () => {
  rss?.stop();
  await registry?.stop();
  process.stdout.write(`hostile-input: registry idle ${idleMiB.toFixed(0)} MiB, peak RSS ${overallPeak.toFixed(0)} MiB over all classes (${peaks.join('; ')})\n`);
});

/** Sends the class while a second client polls; returns the answers and the second client's worst latency. */
async function underProbe(requests: HostileRequest[], count: number, concurrency = IN_FLIGHT, timeoutMs?: number): Promise<HostileAnswer[]> {
  const second = probe(registry.url, '/v2/probe/app/manifests/v1');
  const answers = await sendHostile(registry.port, requests, count, concurrency, timeoutMs);
  const p = await second.stop();
  expect(p.failures).toBe(0);
  expect(p.count).toBeGreaterThan(0);
  expect(p.max).toBeLessThan(SECOND_CLIENT_MS);
  const peak = rss.stop();
  overallPeak = Math.max(overallPeak, peak);
  peaks.push(`${expect.getState().currentTestName?.split(':')[0]} ${peak.toFixed(0)}`);
  rss = new RssSampler(registry.child.pid!); // the next class starts from its own high-water mark
  expect(peak).toBeLessThanOrEqual(PEAK_MIB);
  return answers;
}

const summary = (answers: HostileAnswer[]) => [...new Set(answers.map((a) => `${a.label}: ${a.status} ${a.code} ${a.reason?.replace(/ \(limit.*$/, '')}`))].sort();

test('deep nesting: 400 MANIFEST_INVALID naming the depth limit', async () => {
  const answers = await underProbe(json['deep nesting'], 48);
  expect(summary(answers)).toEqual([
    'annotations nested 1,000,000 deep: 400 MANIFEST_INVALID nesting deeper than 32',
    'index nested 100,000 deep: 400 MANIFEST_INVALID nesting deeper than 32',
    'layers nested 5,000 deep: 400 MANIFEST_INVALID nesting deeper than 32',
    'objects nested 300,000 deep: 400 MANIFEST_INVALID nesting deeper than 32',
  ]);
}, 120_000);

test('huge arrays and objects: 400 MANIFEST_INVALID naming the member limit', async () => {
  const answers = await underProbe(json['huge arrays'], 48);
  expect(summary(answers)).toEqual([
    '1,300,000 zeros in an index: 400 MANIFEST_INVALID more than 10000 elements in an array',
    '25,000 descriptors of one blob: 400 MANIFEST_INVALID more than 10000 elements in an array',
    '250,000 annotations: 400 MANIFEST_INVALID more than 10000 members in an object',
    '400,000 empty layers: 400 MANIFEST_INVALID more than 10000 elements in an array',
  ]);
}, 120_000);

test('long strings, keys and numbers: 400 MANIFEST_INVALID naming the string limit', async () => {
  const answers = await underProbe(json['long strings'], 48);
  expect(summary(answers)).toEqual([
    'a 4,000,000-byte annotation: 400 MANIFEST_INVALID a string of 4000000 bytes',
    'a 4,000,000-byte key: 400 MANIFEST_INVALID a string of 4000000 bytes',
    'a 4,000,000-digit number: 400 MANIFEST_INVALID a number or literal of 4000000 bytes',
  ]);
}, 120_000);

test('a body over the size limit: 413 MANIFEST_INVALID without being buffered', async () => {
  const answers = await underProbe(json.oversize, 32);
  expect(summary(answers)).toEqual(['a 6 MiB manifest: 413 MANIFEST_INVALID undefined']);
}, 120_000);

test('requests the HTTP parser refuses: every one gets a JSON error body', async () => {
  const answers = await underProbe(parserClass(), 270);
  expect(answers.filter((a) => !a.jsonError)).toEqual([]);
  expect(summary(answers).map((s) => s.replace(/: (\d{3}) (\w+) .*$/, ': $1 $2'))).toEqual([
    'Content-Length smaller than the body: 400 MANIFEST_INVALID',
    'HTTP/3.1: 505 UNSUPPORTED',
    'bad chunk size: 400 UNSUPPORTED',
    'garbage request line: 400 UNSUPPORTED',
    'header overflow: 431 UNSUPPORTED',
    'lower-case method: 400 UNSUPPORTED',
    'no Host: 400 UNSUPPORTED',
    'too many headers: 431 UNSUPPORTED',
    'unknown method: 400 UNSUPPORTED',
  ]);
}, 120_000);

test('slowloris heads, 200 at once: the second client is still served', async () => {
  const slow = slowClass().map((r) => ({ ...r, bytes: r.bytes.subarray(0, 120), pieceMs: 100 })); // a partial head, trickled
  const answers = await underProbe(slow, 200, 200, 4_000);
  // Each sent its partial head and stopped: no answer is owed before headersTimeoutSeconds (20 s, tested
  // in http-hardening.test.ts); the clients give up after 4 s.
  expect(answers.every((a) => a.status === 0 || (a.status === 408 && a.jsonError))).toBe(true);
}, 120_000);

test('an upload flood from one client: beyond its slots and its line it gets 429 with Retry-After', async () => {
  // 100 at once: 8 slots for one client, 64 in line, the rest refused at once.
  const answers = await underProbe(uploadFloodClass('hostile/flood', 100), 100, 100);
  const refused = answers.filter((a) => a.status === 429);
  expect(refused.every((a) => a.code === 'TOOMANYREQUESTS' && Number(a.retryAfter) > 0)).toBe(true);
  expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 400 && a.code === 'DIGEST_INVALID')).toBe(true);
  expect(refused.length).toBeGreaterThan(0);
}, 120_000);

test('nothing above reached an unhandled error', async () => {
  expect((await registry.log()).split('\n').filter((l) => l.includes('"level":50'))).toEqual([]);
});
