#!/usr/bin/env bash
# The store benchmark (docs/benchmarks.md, "PostgreSQL"): starts a throwaway PostgreSQL cluster on
# 127.0.0.1 (Debian's postgresql package), runs the embedded store and PostgreSQL side by side, and
# removes the cluster. Usage: bench/postgres.sh [--sizes 10000,100000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${MNEMO_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
dir="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) == 0 ]] && chown postgres "$dir"
as_pg "$bin/initdb" -D "$dir/data" -U mnemo --auth=trust -E UTF8 --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null; rm -rf "$dir"' EXIT
cd "$root"
dotnet run -c Release --project bench/Mnemo.Bench -- --postgres "Host=127.0.0.1;Port=$port;Database=postgres;Username=mnemo" "$@"
