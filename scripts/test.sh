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
results=$(mktemp -t berth-jest-XXXXXX.json)
set +e
node --experimental-vm-modules node_modules/jest/bin/jest.js --json --outputFile="$results" "$@"
status=$?
set -e
node scripts/summary.mjs "$results" || status=1
rm -f "$results"
exit $status
