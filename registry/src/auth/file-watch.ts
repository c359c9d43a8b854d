// Watches files that Kubernetes mounts from ConfigMaps and Secrets. Those mounts
// swap a `..data` symlink in the parent directory rather than writing the file,
// so we watch the directory (fast path) and also poll stat (fallback for
// filesystems without inotify); either way a change is seen well within a second.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FileWatchOptions {
  /** Stat poll interval, ms. */
  readonly pollMs?: number;
}

export interface FileWatch {
  close(): void;
}

async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (f) => {
    try {
      const s = await stat(f); // follows symlinks, so a swapped target changes ino
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      return `missing:${(err as NodeJS.ErrnoException).code}`;
    }
  }));
  return parts.join('|');
}

/** Calls `onChange` (serially, never overlapping) whenever any of the files changes. */
export async function watchFiles(files: readonly string[], onChange: () => Promise<void>, options: FileWatchOptions = {}): Promise<FileWatch> {
  let last = await fingerprint(files);
  let running = false;
  let again = false;
  let closed = false;

  const check = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const now = await fingerprint(files);
        if (now !== last && !closed) {
          last = now;
          await onChange().catch(() => undefined);
        }
      } while (again && !closed);
    } finally {
      running = false;
    }
  };

  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    try {
      const w = watch(dir, { persistent: false }, () => void check());
      w.on('error', () => undefined); // the poll still covers us
      watchers.push(w);
    } catch {
      // directory missing or no inotify: the poll covers it
    }
  }
  const timer = setInterval(() => void check(), options.pollMs ?? 500);
  timer.unref();
  return {
    close() {
      closed = true;
      clearInterval(timer);
      watchers.forEach((w) => w.close());
    },
  };
}
