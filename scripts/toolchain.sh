# Sourced, not run: puts the Node major of package.json's `engines` and the pnpm of its
# `packageManager` first on PATH, installing either with the machine's npm into a cache when
# missing. A machine of the kind Oryn runs on boots with an older Node and npm, and nothing else;
# `npm start`, `npm test` (through scripts/pnpm.sh) and .ci/run all go through here.
#
# ORYN_CACHE_DIR: where the two are kept (default ~/.cache/oryn; node<major>/ and pnpm-<version>/).
# Needs bash, a `node` and `npm` on PATH (any version), and flock.

oryn_toolchain() {
  local root cache node_major pnpm_version platform
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cache=${ORYN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/oryn}
  if ! command -v npm >/dev/null 2>&1; then
    echo "[toolchain] npm is needed to install Node and pnpm; install Node.js with npm first" >&2
    return 1
  fi
  # From package.json ("engines": {"node": ">=24 <25"}, "packageManager": "pnpm@12.4.2").
  node_major=$(sed -nE 's/^ *"node": *">=([0-9]+).*/\1/p' "$root/package.json")
  pnpm_version=$(sed -nE 's/^ *"packageManager": *"pnpm@([^"]+)".*/\1/p' "$root/package.json")

  if [ "$(oryn_node_major)" != "$node_major" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) platform=linux-x64 ;;
      Linux-aarch64 | Linux-arm64) platform=linux-arm64 ;;
      Darwin-arm64) platform=darwin-arm64 ;;
      Darwin-x86_64) platform=darwin-x64 ;;
      *) echo "[toolchain] no Node $node_major package for $(uname -sm); install Node $node_major yourself" >&2; return 1 ;;
    esac
    # The npm package node-<platform> carries the real Node binary.
    oryn_cache_install "$cache/node$node_major" "node-$platform@$node_major" \
      "node_modules/node-$platform/bin/node" || return 1
    export PATH="$cache/node$node_major/node_modules/node-$platform/bin:$PATH"
  fi

  if [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
    oryn_cache_install "$cache/pnpm-$pnpm_version" "pnpm@$pnpm_version" \
      "node_modules/.bin/pnpm" || return 1
    export PATH="$cache/pnpm-$pnpm_version/node_modules/.bin:$PATH"
  fi
}

oryn_node_major() {
  node --version 2>/dev/null | sed -nE 's/^v([0-9]+).*/\1/p'
}

# oryn_cache_install <dir> <package spec> <file that proves it is there>: `npm install` into a
# temporary folder beside <dir>, renamed into place when complete, so an interrupted install
# leaves nothing half-made; a lock keeps two shells (two terminals, parallel CI jobs) from
# installing into one cache at once.
oryn_cache_install() {
  local dir=$1 spec=$2 proof=$3 staging status
  [ -x "$dir/$proof" ] && return 0
  mkdir -p "$(dirname "$dir")"
  (
    flock 9
    [ -x "$dir/$proof" ] && exit 0
    echo "[toolchain] installing $spec into $dir" >&2
    staging=$(mktemp -d "$dir.XXXXXX")
    if ! npm install --prefix "$staging" --no-audit --no-fund --no-save --loglevel=error "$spec" >&2; then
      rm -rf "$staging"
      exit 1
    fi
    rm -rf "$dir"
    mv "$staging" "$dir"
  ) 9>"$dir.lock"
  status=$?
  [ $status -eq 0 ] || echo "[toolchain] could not install $spec with npm" >&2
  return $status
}
