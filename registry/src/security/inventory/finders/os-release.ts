// os-release(5): KEY=value lines, values optionally quoted with shell escapes.
import type { Distro } from '../model.js';

export function parseOsRelease(text: string): Distro | undefined {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    fields[m[1]] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  if (!fields.ID) return undefined;
  return { id: fields.ID.toLowerCase(), versionId: fields.VERSION_ID, versionCodename: fields.VERSION_CODENAME, prettyName: fields.PRETTY_NAME };
}
