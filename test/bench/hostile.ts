// `npm run bench:hostile [-- --count=N] [-- --main=PATH/dist/registry/src/main.js]`
// Peak resident memory and a second client's worst latency under each hostile
// class (test/harness/hostile.ts), each class against a fresh registry process
// with default settings: N requests at 16 in flight (the adversarial run's
// concurrency). `--main` measures another build, e.g. an older commit's dist.
// Also the worst event-loop time of one manifest PUT body within the default
// limits, measured in this process on the parse path the registry runs.
import { performance } from 'node:perf_hooks';
import { jsonLimitsSchema } from '#contract/config/schema.js';
import { parseManifest } from '../../registry/src/manifest/parse.js';
import { digestOf } from '../../registry/src/reference.js';
import { REGISTRY_NODE_FLAGS, startRegistryProcess } from '../harness/registry-process.js';
import { jsonClasses, parserClass, probe, sendHostile, slowClass, uploadFloodClass, type HostileRequest } from '../harness/hostile.js';
import { Client } from '../harness/workload.js';
import { RssSampler } from './rss.js';

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const count = Number(value('count') ?? 200);
const main = value('main');
const CONCURRENCY = 16;

interface Row {
  readonly name: string;
  readonly requests: number;
  readonly peakMiB: number;
  readonly baseMiB: number;
  readonly probeMaxMs: number;
  readonly statuses: string;
  readonly bare: number;
  readonly unanswered: number;
}

async function measureClass(name: string, requests: HostileRequest[], n: number, concurrency: number): Promise<Row> {
  const registry = await startRegistryProcess({
    config: { log: { level: 'warn', accessLog: false } },
    wrap: main ? (node, rest) => ({ command: node, args: rest.map((a, i) => (i === REGISTRY_NODE_FLAGS.length ? main : a)) }) : undefined,
  });
  try {
    const client = new Client(registry.url);
    const image = await client.pushImage('probe/app', 'v1');
    if (!image) throw new Error('probe image push failed');
    await new Promise((r) => setTimeout(r, 500));
    const rss = new RssSampler(registry.child.pid!);
    const baseMiB = rss.stop();
    const sampler = new RssSampler(registry.child.pid!);
    const second = probe(registry.url, '/v2/probe/app/manifests/v1');
    const answers = await sendHostile(registry.port, requests, n, concurrency);
    const p = await second.stop();
    const peakMiB = sampler.stop();
    const histogram = new Map<number, number>();
    for (const a of answers) histogram.set(a.status, (histogram.get(a.status) ?? 0) + 1);
    return {
      name, requests: answers.length, peakMiB, baseMiB, probeMaxMs: p.failures ? Infinity : p.max,
      statuses: [...histogram].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}×${c}`).join(' '),
      bare: answers.filter((a) => a.status >= 400 && !a.jsonError).length,
      unanswered: answers.filter((a) => a.status === 0).length,
    };
  } finally {
    await registry.stop();
  }
}

/** The worst time one PUT body holds the event loop on the parse path: pre-scan, JSON.parse, validation, digest. */
function worstParseMs(): { shape: string; ms: number }[] {
  const limits = jsonLimitsSchema.parse({});
  const head = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},';
  const descriptor = (i: number) => `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:${i.toString(16).padStart(64, '0')}","size":${i}}`;
  const max = 4 * 1024 * 1024 - 200;
  const shapes: Record<string, string> = {
    // Just within every limit, as large as the size limit allows.
    [`${limits.maxMembers - 1} distinct layer descriptors`]: `${head}"layers":[${Array.from({ length: limits.maxMembers - 1 }, (_, i) => descriptor(i)).join(',')}]}`,
    [`${limits.maxValues - 10} values`]: `${head}"layers":[],"annotations":{"a":[${Array.from({ length: 9 }, () => `[${Array(Math.floor(limits.maxValues / 10) - 2).fill('0').join(',')}]`).join(',')}]}}`,
    '4 MiB of strings at the string limit': `${head}"layers":[],"annotations":{${Array.from({ length: Math.floor(max / (limits.maxStringBytes + 12)) }, (_, i) => `"k${i}":"${'x'.repeat(limits.maxStringBytes - 8)}"`).join(',')}}}`,
    // Refused by the pre-scan: the scan is all they cost.
    'nesting 2,000,000 deep (refused)': `${head}"layers":[],"annotations":${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}}`,
    '2,000,000 zeros (refused)': `${head}"layers":[${Array(2_000_000).fill('0').join(',')}]}`,
  };
  const rows: { shape: string; ms: number }[] = [];
  for (const [shape, text] of Object.entries(shapes)) {
    const body = Buffer.from(text);
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      try {
        digestOf(body, 'sha256');
        parseManifest(body, undefined);
      } catch {
        // refused: the time to refuse is what counts
      }
      best = Math.min(best, performance.now() - start);
    }
    rows.push({ shape: `${shape}, ${(body.length / 1024 / 1024).toFixed(2)} MiB`, ms: best });
  }
  return rows;
}

async function run(): Promise<void> {
  const json = jsonClasses('hostile/app');
  const classes: [string, HostileRequest[], number, number][] = [
    ...Object.entries(json).map(([name, requests]) => [name, requests, count, CONCURRENCY] as [string, HostileRequest[], number, number]),
    ['parser-level garbage', parserClass(), count * 5, CONCURRENCY],
    ['slowloris heads (300 at once)', slowClass(), 300, 300],
    ['upload flood (48 × 8 MiB at once)', uploadFloodClass('hostile/flood', 48), 48, 48],
  ];
  process.stdout.write(`registry: ${main ?? 'this build'}\n\n| class | requests | peak RSS MiB (idle) | second client max ms | answers | bare 4xx/5xx | no answer |\n|---|---|---|---|---|---|---|\n`);
  for (const [name, requests, n, c] of classes) {
    const r = await measureClass(name, requests, n, c);
    process.stdout.write(`| ${r.name} | ${r.requests} | ${r.peakMiB.toFixed(0)} (${r.baseMiB.toFixed(0)}) | ${r.probeMaxMs} | ${r.statuses} | ${r.bare} | ${r.unanswered} |\n`);
  }
  if (!main) {
    process.stdout.write('\n| manifest body within the default limits | event-loop ms (best of 5) |\n|---|---|\n');
    for (const r of worstParseMs()) process.stdout.write(`| ${r.shape} | ${r.ms.toFixed(1)} |\n`);
  }
}

run().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
