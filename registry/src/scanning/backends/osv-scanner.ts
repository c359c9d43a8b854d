// osv-scanner as a child process over the stored SBOM:
//   osv-scanner scan source --offline --local-db-path DIR -L <digest>.cdx.json --format json
// DIR is the database in use unpacked in osv-scanner's layout
// (DIR/osv-scalibr/<Ecosystem>/all.zip), made once per database digest from the
// artifact's layers. osv-scanner's findings are full OSV documents; severity
// and fix version are read from them as the built-in matcher reads its own.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { SecurityConfig } from '#contract/config/security.js';
import type { Inventory } from '../../security/inventory/model.js';
import type { Finding } from '../../security/osv/matcher.js';
import type { OsvAffected, OsvVulnerability } from '../../security/osv/schema.js';
import { severityOf } from '../../security/osv/severity.js';
import { layerEcosystem, VULNDB_LAYER_TYPE } from '../../security/osv/vulndb-artifact.js';
import { readBlob, type OpenBlob } from '../../security/blob-source.js';
import type { VulnDbService } from '../vulndb-service.js';
import { BackendUnavailableError, type MatchBackend, type MatchResult, type MatchTarget } from './backend.js';

interface OsvScannerOutput {
  results?: {
    packages?: {
      package: { name: string; version: string; ecosystem: string; purl?: string };
      vulnerabilities?: OsvVulnerability[];
    }[];
  }[];
}

type Config = SecurityConfig['scanning']['osvScanner'];

export class OsvScannerBackend implements MatchBackend {
  readonly name = 'osv-scanner' as const;
  readonly followsVulnDb = true;
  private workDir: Promise<string> | undefined;
  private readonly unpacked = new Map<string, Promise<string>>();

  constructor(private readonly config: Config, private readonly vulndb: VulnDbService, private readonly openBlob: OpenBlob) {}

  resultKey(): string | undefined {
    const d = this.vulndb.current()?.digest;
    return d && `osv-scanner:${d}`;
  }

  async match(target: MatchTarget): Promise<MatchResult> {
    const loaded = this.vulndb.current();
    if (!loaded) throw new BackendUnavailableError('no vulnerability database is loaded');
    const dbDir = await this.unpack(loaded.digest);
    const scratch = await mkdtemp(join(await this.root(), 'scan-'));
    try {
      const sbomFile = join(scratch, `${target.digest.replace(':', '-')}.cdx.json`);
      await writeFile(sbomFile, target.sbom());
      const out = await this.run(['scan', 'source', '--offline', '--local-db-path', dbDir, '-L', sbomFile, '--format', 'json']);
      return { key: `osv-scanner:${loaded.digest}`, findings: findingsOf(JSON.parse(out) as OsvScannerOutput, target.inventory) };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private root(): Promise<string> {
    this.workDir ??= (async () => {
      if (this.config.workDir) {
        await mkdir(this.config.workDir, { recursive: true });
        return this.config.workDir;
      }
      return mkdtemp(join(tmpdir(), 'berth-osv-scanner-'));
    })();
    return this.workDir;
  }

  /** DIR/osv-scalibr/<Ecosystem>/all.zip for one database, made once; older ones are removed. */
  private unpack(dbDigest: string): Promise<string> {
    let made = this.unpacked.get(dbDigest);
    if (!made) {
      made = (async () => {
        const root = await this.root();
        const dir = join(root, `db-${dbDigest.replace(':', '-')}`);
        const manifest = JSON.parse((await readBlob(this.openBlob, dbDigest)).toString('utf8')) as { layers?: { mediaType?: string; digest: string; annotations?: Record<string, string> }[] };
        for (const layer of manifest.layers ?? []) {
          const eco = layer.mediaType === VULNDB_LAYER_TYPE ? layerEcosystem(layer) : undefined;
          if (!eco || eco.includes('/') || eco.startsWith('.')) continue;
          await mkdir(join(dir, 'osv-scalibr', eco), { recursive: true });
          await pipeline(await this.openBlob(layer.digest), createWriteStream(join(dir, 'osv-scalibr', eco, 'all.zip')));
        }
        for (const old of await readdir(root)) {
          if (old.startsWith('db-') && old !== `db-${dbDigest.replace(':', '-')}`) {
            this.unpacked.delete(old.slice(3).replace('-', ':'));
            await rm(join(root, old), { recursive: true, force: true });
          }
        }
        return dir;
      })();
      made.catch(() => this.unpacked.delete(dbDigest));
      this.unpacked.set(dbDigest, made);
    }
    return made;
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.config.path, args, { timeout: this.config.timeoutSeconds * 1000, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
        (err, stdout, stderr) => {
          // Exit 0: nothing found; 1: vulnerabilities found; anything else failed.
          const code = err ? (err as { code?: number | string | null }).code : 0;
          if (code === 0 || code === 1) resolve(stdout);
          else reject(new BackendUnavailableError(`osv-scanner failed (${code ?? (err as Error).message}): ${stderr.trim().split('\n').slice(-3).join(' ')}`));
        });
    });
  }
}

/** The first `fixed` event of the affected entry: what the advisory says the fix is. */
function fixedIn(affected: OsvAffected | undefined): string | undefined {
  for (const r of affected?.ranges ?? []) for (const e of r.events) if (e.fixed) return e.fixed;
  return undefined;
}

/** Findings from osv-scanner's JSON, each tied back to the inventory package (and its purl) it names. */
export function findingsOf(output: OsvScannerOutput, inventory: Inventory): Finding[] {
  const out: Finding[] = [];
  for (const result of output.results ?? []) {
    for (const p of result.packages ?? []) {
      const pkg = inventory.packages.find((x) => (p.package.purl && x.purl === p.package.purl)
        || (x.version === p.package.version && (x.name === p.package.name || x.sourceName === p.package.name)));
      for (const v of p.vulnerabilities ?? []) {
        const affected = v.affected?.find((a) => a.package?.name === p.package.name) ?? v.affected?.[0];
        const { severity, cvss } = severityOf(v, affected);
        out.push({
          id: v.id,
          aliases: v.aliases ?? [],
          purl: pkg?.purl ?? p.package.purl ?? '',
          packageName: pkg?.name ?? p.package.name,
          installedVersion: pkg?.version ?? p.package.version,
          ecosystem: p.package.ecosystem,
          osvName: p.package.name,
          fixedVersion: fixedIn(affected),
          severity,
          cvss,
          summary: v.summary ?? v.details?.split('\n')[0],
          links: (v.references ?? []).map((r) => r.url),
        });
      }
    }
  }
  return out.sort((a, b) => (a.purl === b.purl ? a.id.localeCompare(b.id) : a.purl.localeCompare(b.purl)));
}
