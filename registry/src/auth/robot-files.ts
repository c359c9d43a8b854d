// Robot files: the robots of a large policy spread over several files (the operator
// writes one per Secret, since a Secret holds at most 1 MiB). They add credentials
// only; what a robot may do comes from the main policy file's rules. Everything here
// fails closed: a file that does not parse contributes no robots (its robots are
// refused until it is fixed), and a name defined by two robot files is refused in both.
import { readFile } from 'node:fs/promises';
import { parseRobotFile, type ValidPolicyFile } from '#contract/auth/policy-file.js';

type Robots = ValidPolicyFile['robots'];

export interface RobotFileRead {
  readonly file: string;
  readonly robots: Robots;
  /** Why the file's robots are refused, when they are. */
  readonly error?: string;
}

/** Reads one robot file. A missing file (an optional Secret not created yet) has no robots and is no error. */
export async function readRobotFile(file: string): Promise<RobotFileRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, robots: [] };
    return { file, robots: [], error: (err as Error).message };
  }
  try {
    return { file, robots: parseRobotFile(text, file).robots };
  } catch (err) {
    return { file, robots: [], error: (err as Error).message };
  }
}

export interface MergedRobots {
  readonly robots: Robots;
  /** One line per refused file or name: the log's errors. */
  readonly problems: string[];
  /** Robot-file entries the policy file overrides (as while a policy moves its robots out): the log's warnings. */
  readonly ignored: string[];
}

/**
 * The main file's robots plus every robot file's. A name in the main file keeps the main
 * file's entry (the robot file's is ignored: never more secrets than one file grants); a
 * name in two robot files is refused altogether, since neither can be told to be current.
 */
export function mergeRobots(main: Robots, files: readonly RobotFileRead[]): MergedRobots {
  const problems: string[] = [];
  const ignored: string[] = [];
  const fromMain = new Set(main.map((r) => r.name));
  const owner = new Map<string, string>();
  const refused = new Set<string>();
  const extra: Robots = [];
  for (const { file, robots, error } of files) {
    if (error) {
      problems.push(`${file}: rejected, its robots are refused: ${error}`);
      continue;
    }
    for (const robot of robots) {
      if (fromMain.has(robot.name)) {
        ignored.push(`${file}: robot ${robot.name} is defined by the policy file; this entry is ignored`);
        continue;
      }
      const first = owner.get(robot.name);
      if (first !== undefined) {
        refused.add(robot.name);
        problems.push(`${file}: robot ${robot.name} is also defined in ${first}; refused`);
        continue;
      }
      owner.set(robot.name, file);
      extra.push(robot);
    }
  }
  return { robots: [...main, ...extra.filter((r) => !refused.has(r.name))], problems, ignored };
}
