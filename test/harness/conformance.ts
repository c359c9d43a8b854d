// Runs the official OCI distribution-spec conformance program against a registry
// and reads its junit.xml: the program can exit 0 on a setup error, so the
// report, not the exit code, is the verdict.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './tools.js';

export interface ConformanceResult {
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly failed: string[];
  readonly resultsDir: string;
}

export interface ConformanceOptions {
  /** host:port of the registry. */
  readonly registry: string;
  readonly username?: string;
  readonly password?: string;
  /** OCI_VERSION: "1.1" (default) or "dev" (adds tag parameters, digest headers, upload cancel checks). */
  readonly version?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Sums an attribute over every <testsuite> element (the <testsuites> root lacks failures/errors). */
function attr(xml: string, name: string): number {
  const suites = [...xml.matchAll(/<testsuite\s[^>]*>/g)].map((m) => m[0]);
  if (suites.length === 0) throw new Error('junit.xml has no <testsuite> element');
  return suites.reduce((sum, s) => sum + Number(new RegExp(`\\s${name}="(\\d+)"`).exec(s)?.[1] ?? 0), 0);
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceResult> {
  const resultsDir = await mkdtemp(join(tmpdir(), 'berth-conformance-'));
  const env: NodeJS.ProcessEnv = {
    OCI_REGISTRY: options.registry,
    OCI_TLS: 'disabled',
    OCI_REPO1: 'conformance/repo1',
    OCI_REPO2: 'conformance/repo2',
    OCI_VERSION: options.version ?? '1.1',
    OCI_RESULTS_DIR: resultsDir,
    OCI_LOG: 'warn',
    ...(options.username ? { OCI_USERNAME: options.username, OCI_PASSWORD: options.password ?? '' } : {}),
    ...options.env,
  };
  const r = await run('conformance', [], { env, cwd: resultsDir, timeoutMs: 600_000 });
  let xml: string;
  try {
    xml = await readFile(join(resultsDir, 'junit.xml'), 'utf8');
  } catch {
    throw new Error(`conformance wrote no junit.xml (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  const failed = xml.split('<testcase').slice(1)
    .filter((c) => /<(failure|error)[\s>]/.test(c.slice(0, c.indexOf('</testcase>') >>> 0)))
    .map((c) => /name="([^"]*)"/.exec(c)?.[1] ?? '(unnamed)');
  return {
    tests: attr(xml, 'tests'), failures: attr(xml, 'failures'), errors: attr(xml, 'errors'),
    skipped: attr(xml, 'skipped') + attr(xml, 'disabled'),
    stdout: r.stdout, stderr: r.stderr, failed, resultsDir,
  };
}

/** Runs the program and asserts a clean pass (tests ran, no failure, no error); prints the totals. */
export async function expectConformancePass(label: string, options: ConformanceOptions): Promise<ConformanceResult> {
  const result = await runConformance(options);
  expect(result.failed).toEqual([]);
  expect(result.tests).toBeGreaterThan(800);
  expect(result.failures).toBe(0);
  expect(result.errors).toBe(0);
  process.stdout.write(`conformance ${label} ${options.version ?? '1.1'}: ${result.tests} tests, ${result.failures} failures, ${result.errors} errors, ${result.skipped} skipped/disabled\n`);
  return result;
}
