// What the final stage of a Dockerfile says about the image it produces: the
// instructions that reach the image config, and the absolute paths its COPY
// instructions fill (relative destinations resolve against WORKDIR).
import { posix } from 'node:path';

export interface DockerfileImage {
  base: string;
  user?: string;
  workdir: string;
  env: string[];
  expose: string[];
  entrypoint: string[];
  cmd: string[];
  /** Absolute destinations of every COPY. */
  copies: string[];
}

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Array<[string, string]> {
  const joined = text.replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return [op.toUpperCase(), rest.join(' ')] as [string, string];
    });
}

function execForm(arg: string): string[] {
  if (!arg.startsWith('[')) throw new Error(`only the exec form (JSON array) is supported: ${arg}`);
  return JSON.parse(arg) as string[];
}

export function parseDockerfile(text: string): DockerfileImage {
  const all = instructions(text);
  const from = all.map(([op], i) => (op === 'FROM' ? i : -1)).filter((i) => i >= 0).pop();
  if (from === undefined) throw new Error('no FROM');
  const image: DockerfileImage = { base: all[from][1].split(/\s+/)[0], workdir: '/', env: [], expose: [], entrypoint: [], cmd: [], copies: [] };
  for (const [op, arg] of all.slice(from + 1)) {
    switch (op) {
      case 'WORKDIR': image.workdir = posix.resolve(image.workdir, arg); break;
      case 'USER': image.user = arg; break;
      case 'ENV': image.env.push(...arg.split(/\s+/).filter((kv) => kv.includes('='))); break;
      case 'EXPOSE': image.expose.push(...arg.split(/\s+/)); break;
      case 'ENTRYPOINT': image.entrypoint = execForm(arg); image.cmd = []; break;
      case 'CMD': image.cmd = execForm(arg); break;
      case 'COPY': {
        const parts = arg.split(/\s+/).filter((p) => !p.startsWith('--'));
        image.copies.push(posix.resolve(image.workdir, parts[parts.length - 1]));
        break;
      }
      default: break;
    }
  }
  return image;
}
