#!/usr/bin/env bash
# The whole test command: tools, build, type check, lint, every jest project, and the
# closing line CI reads ("N passed, N failed") as the last line of output.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/testbed/build.sh
npm run --silent build
npm run --silent typecheck
npm run --silent lint
jest() { node --experimental-vm-modules node_modules/jest/bin/jest.js --passWithNoTests "$@"; }
results=$(mktemp -t berth-jest-XXXXXX.json)
node_results=$(mktemp -t berth-jest-node-XXXXXX.json)
set +e
jest --json --outputFile="$results" --selectProjects unit registry operator "$@"
status=$?
# The node is one shared machine (containerd, kubelet, its pods): its files run one at a time,
# after the rest, so no other suite's load or pods slow its workloads past their waits.
jest --json --outputFile="$node_results" --selectProjects node --runInBand --testSequencer ./test/harness/node/sequencer.cjs "$@" || status=1
set -e
node scripts/summary.mjs "$results" "$node_results" || status=1
rm -f "$results" "$node_results"
exit $status
