// Regenerates docs/configuration.md from the compiled config schema.
import { writeFileSync } from 'node:fs';
import { renderConfigReference } from '../dist/contract/config/reference.js';
writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigReference());
