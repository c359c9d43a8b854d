// Runs osv-scanner offline on an image archive or an SBOM and returns its
// (ecosystem, package, advisory) set.
import { run } from '../../harness/tools.js';
import type { FindingKey } from './oracle-model.js';

interface OsvScannerJson {
  results?: { packages?: { package: { name: string; version: string; ecosystem: string }; vulnerabilities?: { id: string }[] }[] }[];
}

export async function osvScanner(args: string[], dbDir: string): Promise<Set<FindingKey>> {
  const r = await run('osv-scanner', [...args, '--offline', '--local-db-path', dbDir, '--format', 'json'], { timeoutMs: 120_000, env: { NO_COLOR: '1' } });
  // 0: nothing found, 1: vulnerabilities found; anything else is a failure of the run.
  if (r.code !== 0 && r.code !== 1) throw new Error(`osv-scanner ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  const out = new Set<FindingKey>();
  const json = JSON.parse(r.stdout) as OsvScannerJson;
  for (const result of json.results ?? []) {
    for (const p of result.packages ?? []) {
      for (const v of p.vulnerabilities ?? []) out.add(`${p.package.ecosystem.split(':')[0]}|${p.package.name}|${v.id}`);
    }
  }
  return out;
}
