#!/usr/bin/env bash
# The whole test suite (README's test command): real peers installed when missing, then the type
# check and every vitest suite (unit, integration against real peers, end-to-end, chart). Nothing
# skips: a missing tool fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
# Everything below runs on the Node that package.json pins (node_modules/.bin/node, see
# scripts/check-node.sh), also when this script is started outside npm.
export PATH="$PWD/node_modules/.bin:$PATH"
[ -x node_modules/.bin/node ] || npm ci
bash scripts/check-node.sh
bash scripts/ensure-tools.sh
export PATH="$PATH:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin:/usr/sbin"
# CI=1 makes vitest fail on any skipped or todo test (see vitest.config.ts).
export CI=1
# Static checks first: types, lint (typescript-eslint strict), layering, formatting.
npx tsc --noEmit -p .
npx eslint .
# Layering (no cycles; bottom layers import nothing above them): .dependency-cruiser.cjs.
npx depcruise src test bench --config .dependency-cruiser.cjs
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx vitest run "$@"
