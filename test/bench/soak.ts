// `npm run soak [-- --minutes=10] [-- --warmup-minutes=15] [-- --workers=8] [-- --rate=STEPS/S] [-- --node-flags=A,B] [-- --env=NAME=VALUE,...] [-- --main=PATH]`:
// the long soak (test/harness/soak.ts) against a fresh registry process on the
// filesystem. --rate paces the workers so that two runs compare at equal load;
// --node-flags adds V8 flags to the registry's for an experiment; --main runs another
// build (an older commit's dist/registry/src/main.js) for an A/B. Prints progress
// every 30 s and the figures docs/BENCHMARKS.md ("Soak") reports; exits 1 when a check fails.
import { join } from 'node:path';
import { REGISTRY_NODE_FLAGS, startRegistryProcess } from '../harness/registry-process.js';
import { runSoak, SOAK_CONFIG } from '../harness/soak.js';
import { formatHeapFigures } from '../harness/heap-figures.js';

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const minutes = Number(value('minutes') ?? 10);
const workers = Number(value('workers') ?? 8);
const rate = value('rate') ? Number(value('rate')) : undefined;
const nodeFlags = value('node-flags')?.split(',').filter(Boolean) ?? [];
const main = value('main');
// Fifteen minutes: at this load the bounded pools (hash-worker slots, manifest caches)
// fill in the first three minutes, but the other threads' glibc arenas grow for about
// fifteen more and V8's reserve settles over the same time; from then on nothing
// rises (a 30-minute run, docs/BENCHMARKS.md, "Soak"). A baseline read before that
// counts their filling as growth.
const warmupMinutes = Number(value('warmup-minutes') ?? 15);
/** `--env=NAME=VALUE,...`: environment for the registry process (an allocator experiment); `NAME=` leaves NAME unset. */
const env: Record<string, string | undefined> = Object.fromEntries((value('env')?.split(',').filter(Boolean) ?? [])
  .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1) || undefined]));

async function run(): Promise<void> {
  const registry = await startRegistryProcess({
    config: SOAK_CONFIG, nodeFlags, env,
    wrap: main ? (node, rest) => ({ command: node, args: rest.map((a, i) => (i === REGISTRY_NODE_FLAGS.length + nodeFlags.length ? main : a)) }) : undefined,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { void registry.kill().finally(() => process.exit(130)); });
  }
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  log(`registry pid ${registry.child.pid}, log ${registry.logFile}`);
  try {
    const r = await runSoak(registry, join(registry.dir, 'data'), { warmupMs: warmupMinutes * 60_000, durationMs: minutes * 60_000, workers, gcEveryMs: 20_000, stepsPerSecond: rate, log });
    const growth = (r.rssEndMiB - r.rssWarmMiB) / r.rssWarmMiB;
    const checks = {
      'no unexpected answer': r.errors.length === 0,
      'RSS at the end within 10 % of the warm-up': Math.abs(growth) <= 0.10,
      'no descriptor growth (files)': r.fdsEnd.files <= r.fdsWarm.files,
      'no upload left after purge': r.uploadLeftovers === 0,
      'every live image pullable': r.notPullable.length === 0,
    };
    process.stdout.write(`\n| figure | value |\n|---|---|\n`
      + `| run | ${minutes} min after a ${warmupMinutes} min warm-up, ${workers} workers${rate ? ` paced to ${rate} steps/s` : ''}, GC every 20 s${nodeFlags.length ? `, node ${nodeFlags.join(' ')}` : ''}${Object.keys(env).length ? `, env ${Object.entries(env).map(([k, v]) => `${k}=${v ?? '(unset)'}`).join(' ')}` : ''}${main ? `, ${main}` : ''} |\n`
      + `| requests | ${r.requests} (${(r.requests / r.seconds).toFixed(0)}/s) |\n`
      + `| request latency after warm-up | p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms |\n`
      + `| operations | ${Object.entries(r.operations).map(([k, v]) => `${k} ${v}`).join(', ')}, GC runs ${r.gcRuns} |\n`
      + `| GC runs after warm-up: seconds (blobs deleted) | ${r.gcReports.map((g) => `${g.seconds.toFixed(0)} (${g.blobsDeleted})`).join(', ')} |\n`
      + `| blobs on disk every 30 s, at the end | ${r.blobsOnDisk.join(', ')} |\n`
      + `| RSS after warm-up → end (peak) | ${r.rssWarmMiB.toFixed(1)} → ${r.rssEndMiB.toFixed(1)} MiB (${(growth * 100).toFixed(1)} %), peak ${r.rssPeakMiB.toFixed(1)} MiB |\n`
      + `| registry heap after warm-up → end | ${formatHeapFigures(r.heapWarm)} → ${formatHeapFigures(r.heapEnd)} |\n`
      + `| RSS every 30 s | ${r.samples.map((x) => x.rssMiB.toFixed(0)).join(', ')} MiB |\n`
      + `| heap used / reserved every 30 s | ${r.samples.map((x) => `${x.heapUsedMiB.toFixed(0)}/${x.heapTotalMiB.toFixed(0)}`).join(', ')} MiB |\n`
      + `| external every 30 s | ${r.samples.map((x) => x.externalMiB.toFixed(0)).join(', ')} MiB |\n`
      + `| \`brk\` heap every 30 s | ${r.samples.map((x) => x.brkMiB.toFixed(1)).join(', ')} MiB |\n`
      + `| anonymous / file-backed RSS every 30 s | ${r.samples.map((x) => `${x.rssAnonMiB.toFixed(0)}/${x.rssFileMiB.toFixed(0)}`).join(', ')} MiB |\n`
      + `| warm-up every 30 s: RSS, heap used / reserved, external, \`brk\` | ${r.warmupSamples.map((x) => `${x.rssMiB.toFixed(0)}, ${x.heapUsedMiB.toFixed(0)}/${x.heapTotalMiB.toFixed(0)}, ${x.externalMiB.toFixed(0)}, ${x.brkMiB.toFixed(1)}`).join('; ')} MiB |\n`
      + `| descriptors after warm-up → end | files ${r.fdsWarm.files} → ${r.fdsEnd.files}, sockets ${r.fdsWarm.sockets} → ${r.fdsEnd.sockets} |\n`
      + `| uploads left after purge | ${r.uploadLeftovers} |\n`
      + `| live images at the end, not pullable | ${r.liveImages}, ${r.notPullable.length} |\n`
      + `| unexpected answers | ${r.errors.length}${r.errors.length ? ` (${JSON.stringify(r.errors.slice(0, 5))})` : ''} |\n\n`);
    for (const [name, ok] of Object.entries(checks)) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
    process.exitCode = Object.values(checks).every(Boolean) ? 0 : 1;
  } finally {
    await registry.stop();
  }
}

run().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
