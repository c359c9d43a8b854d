// The browsing API's read models, built once from the index and storage.
import type { MetadataIndex } from '../metadata/index.js';
import type { QuotaGate } from '../policy/quota-gate.js';
import type { RepositorySettings } from '../policy/repository-settings.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { ArtifactView } from './artifact-view.js';
import { ContentReader } from './content.js';
import { LineageView } from './lineage.js';
import { RepositoryView } from './repository-view.js';

export class Browsing {
  readonly repositories: RepositoryView;
  readonly artifacts: ArtifactView;
  readonly lineage: LineageView;

  constructor(index: MetadataIndex, storage: RegistryStorage, quota: QuotaGate, settings: RepositorySettings) {
    const content = new ContentReader(storage);
    this.repositories = new RepositoryView(index, quota, settings);
    this.artifacts = new ArtifactView(index, content, this.repositories);
    this.lineage = new LineageView(index, content);
  }
}
