#!/bin/sh
# The algogate container's start command (Dockerfile ENTRYPOINT). Also runnable directly, outside Docker.
#
# 1. Secrets: ALGOGATE_JWT_SECRET, ALGOGATE_API_KEY_PEPPER, ALGOGATE_MASTER_KEY and ALGOGATE_CLUSTER_SECRET
#    come from the environment when set there; otherwise from files in the secrets directory (default
#    "<data dir>-keys", e.g. /data-keys: beside the data, never inside it, so a copy of the data does not carry
#    the keys that protect it), each generated once on first start (dir 700, files 600) and never replaced.
#    Instances sharing one secrets directory (the compose `scale` profile) get the same values even when they
#    start at the same moment.
# 2. Runs `node bin/algogate.js serve --config FILE` (FILE: $ALGOGATE_CONFIG, default /config/algogate.yaml,
#    passed only when it exists), or any other algogate command given as arguments
#    (`docker compose run --rm algogate user list`).
#
# Environment read here only: ALGOGATE_SECRETS_DIR (default "$ALGOGATE_DATA_DIR-keys").
set -eu

app_dir=$(cd "$(dirname "$0")/.." && pwd)
data_dir="${ALGOGATE_DATA_DIR:-/data}"
secrets_dir="${ALGOGATE_SECRETS_DIR:-${data_dir%/}-keys}"
config_file="${ALGOGATE_CONFIG:-/config/algogate.yaml}"

umask 077
mkdir -p "$data_dir" "$secrets_dir"
chmod 700 "$secrets_dir"

# secret VAR FILE: keeps VAR when set; else reads FILE, creating it first with 32 random bytes (hex).
secret() {
  eval "current=\${$1:-}"
  if [ -n "$current" ]; then return 0; fi
  file="$secrets_dir/$2"
  if [ ! -s "$file" ]; then
    tmp=$(mktemp "$secrets_dir/.new.XXXXXX")
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$tmp"
    chmod 600 "$tmp"
    # link(2) never replaces an existing file: when instances race, the first one wins and all read it.
    ln "$tmp" "$file" 2>/dev/null || true
    rm -f "$tmp"
  fi
  chmod 600 "$file"
  value=$(cat "$file")
  [ "${#value}" -ge 32 ] || {
    echo "docker-entrypoint: $file is shorter than 32 characters" >&2
    exit 1
  }
  export "$1=$value"
}

secret ALGOGATE_JWT_SECRET jwt-secret
secret ALGOGATE_API_KEY_PEPPER api-key-pepper
secret ALGOGATE_MASTER_KEY master-key
# Signs requests forwarded between cluster instances (used when ALGOGATE_CLUSTER is on).
secret ALGOGATE_CLUSTER_SECRET cluster-secret
unset ALGOGATE_SECRETS_DIR

if [ "$#" -eq 0 ]; then set -- serve; fi
if [ "$1" = "serve" ] && [ -f "$config_file" ]; then
  shift
  set -- serve --config "$config_file" "$@"
fi
exec node "$app_dir/bin/algogate.js" "$@"
