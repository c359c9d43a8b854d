import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { ZodError } from 'zod';
import { configSchema, type RegistryConfig, type RegistryConfigInput } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates a parsed document, failing with the path of every bad key. */
export function parseConfig(doc: unknown, source = 'config'): RegistryConfig {
  try {
    return configSchema.parse(doc ?? {});
  } catch (err) {
    if (err instanceof ZodError) {
      const problems = err.issues.map((i) => {
        const path = i.path.join('.') || '(root)';
        if (i.code === 'unrecognized_keys') {
          return i.keys.map((k) => `${path === '(root)' ? '' : path + '.'}${k}: unknown key`).join('; ');
        }
        return `${path}: ${i.message}`;
      });
      throw new ConfigError(`${source}: ${problems.join('; ')}`);
    }
    throw err;
  }
}

export function parseConfigYaml(text: string, source = 'config'): RegistryConfig {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    throw new ConfigError(`${source}: invalid YAML: ${(err as Error).message}`);
  }
  return parseConfig(doc, source);
}

export async function loadConfigFile(file: string): Promise<RegistryConfig> {
  return parseConfigYaml(await readFile(file, 'utf8'), file);
}

/** Renders a config document as YAML (what the operator writes into a ConfigMap). */
export function renderConfigYaml(config: RegistryConfigInput): string {
  parseConfig(config, 'rendered config'); // never render something the registry would refuse
  return yaml.dump(config, { noRefs: true, sortKeys: true, lineWidth: 120 });
}
