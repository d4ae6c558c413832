#!/usr/bin/env bash
# Packages mnemo two ways and checks each runs: a .NET tool installed from a locally packed nupkg,
# and a self-contained single-file build for linux-x64 (no .NET needed on the target).
# Usage: eng/package.sh [out-dir]   (default artifacts/package)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/artifacts/package}"
rm -rf "$out"
mkdir -p "$out"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT

dotnet pack "$root/src/Mnemo.Cli/Mnemo.Cli.csproj" -c Release -o "$out/nupkg" --nologo -v quiet | { grep -v "warning NU1603" || true; }
version="$(ls "$out/nupkg" | sed -n 's/^Mnemo\.Cli\.\(.*\)\.nupkg$/\1/p' | head -1)"
dotnet tool install Mnemo.Cli --version "$version" --tool-path "$out/tool" --add-source "$out/nupkg" > /dev/null
"$out/tool/mnemo" --help | grep -q "serve" || { echo "the installed tool does not run" >&2; exit 1; }
"$out/tool/mnemo" stats --data-dir "$data/tool" | grep -q "memories" || { echo "the installed tool cannot open a store" >&2; exit 1; }
echo "PASS dotnet tool: Mnemo.Cli $version installs from $out/nupkg and runs"

dotnet publish "$root/src/Mnemo.Cli/Mnemo.Cli.csproj" -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:IncludeAllContentForSelfExtract=true \
  -o "$out/linux-x64" --nologo -v quiet | { grep -v "warning NU1603" || true; }
"$out/linux-x64/mnemo" stats --data-dir "$data/single" | grep -q "memories" || { echo "the single-file build cannot open a store" >&2; exit 1; }
echo "PASS single file: $out/linux-x64/mnemo ($(du -m "$out/linux-x64/mnemo" | cut -f1) MB) runs without .NET"
