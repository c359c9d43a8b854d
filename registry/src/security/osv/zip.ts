// Reads every `*.json` entry of a zip archive held in memory (osv.dev's all.zip
// layout: one OSV document per entry), one entry at a time.
import yauzl from 'yauzl';

export interface ZipJsonEntry {
  readonly name: string;
  readonly content: Buffer;
}

/** Calls `onEntry` for each .json entry in order; rejects on a corrupt archive. */
export function readZipJsonEntries(zip: Buffer, onEntry: (entry: ZipJsonEntry) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, archive) => {
      if (err || !archive) return reject(err ?? new Error('unreadable zip'));
      let count = 0;
      archive.on('error', reject);
      archive.on('end', () => resolve(count));
      archive.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('.json')) return archive.readEntry();
        archive.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            count++;
            try {
              onEntry({ name: entry.fileName, content: Buffer.concat(chunks) });
            } catch (callbackError) {
              return reject(callbackError instanceof Error ? callbackError : new Error(String(callbackError)));
            }
            archive.readEntry();
          });
        });
      });
      archive.readEntry();
    });
  });
}
