// The built-in matcher over the loaded OSV database (security/osv).
import { matchInventory } from '../../security/osv/matcher.js';
import type { VulnDbService } from '../vulndb-service.js';
import { BackendUnavailableError, type MatchBackend, type MatchResult, type MatchTarget } from './backend.js';

export class BuiltinBackend implements MatchBackend {
  readonly name = 'builtin' as const;
  readonly followsVulnDb = true;

  constructor(private readonly vulndb: VulnDbService) {}

  resultKey(): string | undefined {
    return this.vulndb.current()?.digest;
  }

  async match(target: MatchTarget): Promise<MatchResult> {
    const loaded = this.vulndb.current();
    if (!loaded) throw new BackendUnavailableError('no vulnerability database is loaded');
    return { key: loaded.digest, findings: matchInventory(loaded.db, target.inventory) };
  }
}
