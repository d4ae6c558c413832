#!/usr/bin/env bash
# Type-checks the OpenClaw bridge plugin (strict TypeScript) against the SDK types of the pinned
# OpenClaw, installed by eng/install-openclaw.sh. TypeScript itself comes from npm, cached.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
openclaw="$("$root/eng/install-openclaw.sh")"
cache="${MNEMO_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mnemo-tests}/typescript-5"
if [[ ! -x "$cache/node_modules/.bin/tsc" ]]; then
  mkdir -p "$cache"
  (cd "$cache" && printf '{"private":true}\n' > package.json && npm install typescript@5 --no-audit --no-fund --loglevel=error >/dev/null)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/node_modules"
cp "$root/integrations/openclaw/index.ts" "$work/"
ln -s "$openclaw/node_modules/openclaw" "$work/node_modules/openclaw"
ln -s "$openclaw/node_modules/@types" "$work/node_modules/@types"
cat > "$work/tsconfig.json" <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "noEmit": true, "skipLibCheck": true, "types": ["node"] }, "files": ["index.ts"] }
JSON
"$cache/node_modules/.bin/tsc" -p "$work"
echo "integrations/openclaw/index.ts type-checks against openclaw's plugin SDK"
