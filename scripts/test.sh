#!/usr/bin/env bash
# The whole test command: tools, build, type check, every jest project.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/testbed/build.sh
npm run --silent build
npm run --silent typecheck
exec node --experimental-vm-modules node_modules/jest/bin/jest.js "$@"
