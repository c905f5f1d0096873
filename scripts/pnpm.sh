#!/usr/bin/env bash
# `npm start` and `npm test` run through here (see package.json): it gets Node 24 and the pinned
# pnpm (scripts/toolchain.sh), then runs pnpm with the arguments given. pnpm installs the
# dependencies first when node_modules is missing or older than the lockfile
# (verifyDepsBeforeRun in pnpm-workspace.yaml), so a fresh clone needs no `pnpm install`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
oryn_toolchain
# npm's own settings for the script it runs (npm_config_*, npm_package_*) are not pnpm's.
for name in $(compgen -v npm_); do unset "$name"; done
exec pnpm "$@"
