// The node shared by every test file of the `node` jest project. The global
// setup starts it and publishes where its description (NodeInfo, JSON) is;
// test workers, forked later, inherit the variable.
import { readFileSync } from 'node:fs';
import type { NodeInfo } from './node.js';

export const NODE_INFO_ENV = 'BERTH_TEST_NODE';
/** Set instead when the node could not start: every node test fails with it (the other projects still run). */
export const NODE_ERROR_ENV = 'BERTH_TEST_NODE_ERROR';

export function sharedNode(): NodeInfo {
  const failure = process.env[NODE_ERROR_ENV];
  if (failure) throw new Error(`the test node did not start: ${failure}`);
  const path = process.env[NODE_INFO_ENV];
  if (!path) throw new Error(`${NODE_INFO_ENV} is not set: node tests need the jest global setup (--selectProjects node)`);
  return JSON.parse(readFileSync(path, 'utf8')) as NodeInfo;
}
