#!/usr/bin/env bash
# Installs algogate on a fresh Ubuntu 22.04/24.04 VPS: swap (when RAM < 2 GB), system user, Node 20+, the
# app in /opt/algogate, config and secrets in /etc/algogate, a hardened systemd unit, an nginx site (TLS via
# certbot when --domain and --email are given), the ufw firewall, and logrotate.
#
# Idempotent: every step compares before it writes and reports "changed" or "unchanged"; a second run with
# the same arguments changes nothing. Generated secrets are written once and never replaced.
#
# Test mode: --root DIR prefixes every path with DIR and runs no system command (apt, useradd, systemctl,
# ufw, certbot, npm, swapon...): it prints "would run: ..." instead. Ownership is not applied in this mode.
#
# Usage: sudo deploy/install.sh [options]   (see --help)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_DIR=$(cd "$SCRIPT_DIR/.." && pwd)

ROOT=""
VERSION_REF="HEAD"
DOMAIN=""
EMAIL=""
PORT="5000"
UPSTREAMS=()
MEMORY_MAX=""
SOCKET=""
SWAP_SIZE_MB="2048"
MIN_RAM_MB="2048"
SSH_PORT="22"
NODE_MIN_MAJOR="20"
# NodeSource is used only when the distribution's nodejs is older than NODE_MIN_MAJOR (Ubuntu 22.04/24.04).
NODESOURCE_SETUP_URL="${NODESOURCE_SETUP_URL:-https://deb.nodesource.com/setup_20.x}"
SKIP_FIREWALL="no"
SKIP_NGINX="no"

APP_USER="algogate"
APP_HOME="/opt/algogate"
CONF_DIR="/etc/algogate"
DATA_DIR="/var/lib/algogate"
LOG_DIR="/var/log/algogate"
BACKUP_DIR="/var/backups/algogate"
ACME_ROOT="/var/www/letsencrypt"

usage() {
  cat <<EOF
Usage: sudo $0 [options]

  --domain NAME          public host name for nginx (and the TLS certificate)
  --email ADDRESS        Let's Encrypt account e-mail; with --domain, certbot issues a certificate
  --version REF          git ref of this repository to install (default: HEAD)
  --port N               port algogate listens on, on 127.0.0.1 (default: 5000)
  --socket               algogate listens on the Unix socket /run/algogate/algogate.sock instead of a port;
                         nginx connects to it (www-data joins the algogate group)
  --upstream ADDR        nginx upstream HOST:PORT or unix:/path, repeatable (default: 127.0.0.1:PORT);
                         several upstreams are balanced with least_conn
  --memory-max SIZE      systemd MemoryMax for the service, e.g. 1G (default: none)
  --swap-size MB         swap file size when RAM is below 2 GB (default: 2048)
  --ssh-port N           SSH port the firewall keeps open (default: 22)
  --skip-firewall        do not touch ufw
  --skip-nginx           do not install the nginx site
  --root DIR             test mode: write under DIR, run no system command (print them instead)
  -h, --help             this help

Environment: NODESOURCE_SETUP_URL (default https://deb.nodesource.com/setup_20.x) is used only when the
distribution's nodejs package is older than Node $NODE_MIN_MAJOR.
EOF
}

die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --version) VERSION_REF="${2:?--version needs a git ref}"; shift 2 ;;
    --domain) DOMAIN="${2:?--domain needs a name}"; shift 2 ;;
    --email) EMAIL="${2:?--email needs an address}"; shift 2 ;;
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --socket) SOCKET="/run/algogate/algogate.sock"; shift ;;
    --upstream) UPSTREAMS+=("${2:?--upstream needs HOST:PORT or unix:/path}"); shift 2 ;;
    --memory-max) MEMORY_MAX="${2:?--memory-max needs a size}"; shift 2 ;;
    --swap-size) SWAP_SIZE_MB="${2:?--swap-size needs megabytes}"; shift 2 ;;
    --ssh-port) SSH_PORT="${2:?--ssh-port needs a number}"; shift 2 ;;
    --skip-firewall) SKIP_FIREWALL="yes"; shift ;;
    --skip-nginx) SKIP_NGINX="yes"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then die "--port must be 1-65535"; fi
[[ "$SSH_PORT" =~ ^[0-9]+$ ]] || die "--ssh-port must be a number"
[[ "$SWAP_SIZE_MB" =~ ^[0-9]+$ ]] || die "--swap-size must be megabytes"
[[ -z "$MEMORY_MAX" || "$MEMORY_MAX" =~ ^[0-9]+[KMGT]?$ ]] || die "--memory-max must look like 1G or 768M"
[[ -z "$DOMAIN" || "$DOMAIN" =~ ^[A-Za-z0-9.-]+$ ]] || die "--domain must be a host name"
[[ -z "$EMAIL" || -n "$DOMAIN" ]] || die "--email needs --domain"
if ((${#UPSTREAMS[@]} == 0)); then
  if [[ -n "$SOCKET" ]]; then UPSTREAMS=("unix:$SOCKET"); else UPSTREAMS=("127.0.0.1:$PORT"); fi
fi

if [[ -n "$ROOT" ]]; then
  mkdir -p "$ROOT"
  ROOT=$(cd "$ROOT" && pwd)
  DRY="yes"
else
  DRY="no"
  [[ $(id -u) -eq 0 ]] || die "run as root (sudo), or use --root DIR for a dry run into a directory"
fi

# ---------------------------------------------------------------------------------------------------------
# Helpers: every write goes through them, so every step can say whether it changed anything.

STEP=""
STEP_CHANGED="no"
RESTART_NEEDED="no"
NGINX_RELOAD="no"

p() { printf '%s%s' "$ROOT" "$1"; }

step() {
  STEP="$1"
  STEP_CHANGED="no"
}

changed() {
  STEP_CHANGED="yes"
  printf '  %s: %s\n' "$STEP" "$*"
}

end_step() {
  if [[ "$STEP_CHANGED" == "yes" ]]; then
    printf '[%s] changed\n' "$STEP"
  else
    printf '[%s] unchanged\n' "$STEP"
  fi
}

# Runs a system command that acts on a change just made (reload, restart), or prints it in --root mode.
run() {
  if [[ "$DRY" == "yes" ]]; then
    printf '  %s: would run: %s\n' "$STEP" "$*"
  else
    printf '  %s: run: %s\n' "$STEP" "$*"
    "$@"
  fi
  STEP_CHANGED="yes"
}

# Runs a system command that establishes state (a package, the user, a firewall rule); callers invoke it
# only when the real system lacks that state. In --root mode the system cannot be inspected, so the commands
# "run" are remembered in DIR/var/lib/algogate-install/dry-run-commands and not repeated by the next run.
ensure_cmd() {
  if [[ "$DRY" == "yes" ]]; then
    local state
    state=$(p /var/lib/algogate-install/dry-run-commands)
    grep -Fxqs -- "$*" "$state" && return 0
    mkdir -p "$(dirname "$state")"
    printf '%s\n' "$*" >>"$state"
  fi
  run "$@"
}

# mode_of FILE -> octal mode (e.g. 600)
mode_of() { stat -c '%a' "$1"; }
owner_of() { stat -c '%U:%G' "$1"; }

# ensure_owner PATH USER:GROUP (skipped in --root mode: the user does not exist there)
ensure_owner() {
  [[ "$DRY" == "yes" ]] && return 0
  if [[ $(owner_of "$1") != "$2" ]]; then
    chown "$2" "$1"
    changed "owner of $1 -> $2"
  fi
}

ensure_mode() {
  if [[ $(mode_of "$1") != "$2" ]]; then
    chmod "$2" "$1"
    changed "mode of ${1#"$ROOT"} -> $2"
  fi
}

# ensure_dir DIR MODE OWNER  (DIR without the --root prefix)
ensure_dir() {
  local d
  d=$(p "$1")
  if [[ ! -d "$d" ]]; then
    mkdir -p "$d"
    changed "created $1"
  fi
  ensure_mode "$d" "$2"
  ensure_owner "$d" "$3"
}

# put_file DEST MODE OWNER < content   (DEST without the --root prefix). Writes only when content differs.
put_file() {
  local dest tmp
  dest=$(p "$1")
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$(dirname "$dest")/.install.XXXXXX")
  cat >"$tmp"
  if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"
  else
    chmod "$2" "$tmp"
    mv -f "$tmp" "$dest"
    changed "wrote $1"
  fi
  ensure_mode "$dest" "$2"
  ensure_owner "$dest" "$3"
}

# ensure_symlink TARGET LINK (LINK without the --root prefix; TARGET is written as given)
ensure_symlink() {
  local link
  link=$(p "$2")
  if [[ -L "$link" && $(readlink "$link") == "$1" ]]; then return 0; fi
  mkdir -p "$(dirname "$link")"
  ln -sfn "$1" "$link"
  changed "linked $2 -> $1"
}

random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

# ---------------------------------------------------------------------------------------------------------
printf 'algogate install (%s)%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${ROOT:+ into $ROOT (dry run: no system commands)}"

# 1. Swap when RAM is below 2 GB (only if there is no swap file yet).
step swap
meminfo=/proc/meminfo
[[ -n "$ROOT" && -r "$ROOT/proc/meminfo" ]] && meminfo="$ROOT/proc/meminfo"
ram_kb=$(awk '/^MemTotal:/ { print $2 }' "$meminfo")
ram_mb=$((ram_kb / 1024))
if ((ram_mb >= MIN_RAM_MB)); then
  printf '  swap: %s MB RAM, no swap needed\n' "$ram_mb"
elif [[ -e $(p /swapfile) ]]; then
  printf '  swap: %s MB RAM, /swapfile already present\n' "$ram_mb"
else
  printf '  swap: %s MB RAM is below %s MB: adding a %s MB /swapfile\n' "$ram_mb" "$MIN_RAM_MB" "$SWAP_SIZE_MB"
  if [[ "$DRY" == "yes" ]]; then
    # Placeholder so the dry run sees "already present" next time, as a real run would.
    install -m 600 /dev/null "$(p /swapfile)"
  fi
  run fallocate -l "${SWAP_SIZE_MB}M" /swapfile
  run chmod 600 /swapfile
  run mkswap /swapfile
  run swapon /swapfile
fi
if ((ram_mb < MIN_RAM_MB)) && ! grep -qs '^/swapfile ' "$(p /etc/fstab)"; then
  mkdir -p "$(p /etc)"
  printf '/swapfile none swap sw 0 0\n' >>"$(p /etc/fstab)"
  changed "added /swapfile to /etc/fstab"
fi
end_step

# 2. Packages the install needs (nginx, certbot, ufw, logrotate, and a compiler for native npm modules).
step packages
wanted=(ca-certificates curl git logrotate build-essential python3)
[[ "$SKIP_NGINX" == "no" ]] && wanted+=(nginx)
[[ "$SKIP_NGINX" == "no" && -n "$EMAIL" ]] && wanted+=(certbot)
[[ "$SKIP_FIREWALL" == "no" ]] && wanted+=(ufw)
missing=()
for pkg in "${wanted[@]}"; do
  if [[ "$DRY" == "yes" ]]; then
    missing+=("$pkg")
  else
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  ensure_cmd env DEBIAN_FRONTEND=noninteractive apt-get update
  ensure_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
end_step

# 3. Node.js 20+: the distribution's nodejs when new enough, else NodeSource.
step node
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [[ "$DRY" == "no" ]] && (($(node_major) >= NODE_MIN_MAJOR)); then
  printf '  node: %s already installed\n' "$(node -v)"
else
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }' | sed -E 's/^[0-9]+://; s/\..*//')
  if [[ "$candidate" =~ ^[0-9]+$ ]] && ((candidate >= NODE_MIN_MAJOR)); then
    ensure_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs
  else
    printf '  node: apt offers nodejs %s; using NodeSource (%s)\n' "${candidate:-none}" "$NODESOURCE_SETUP_URL"
    ensure_cmd bash -c "curl -fsSL '$NODESOURCE_SETUP_URL' | bash -"
    ensure_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs
  fi
fi
end_step

# 4. System user and directories.
step user
if [[ "$DRY" == "yes" ]] || ! getent passwd "$APP_USER" >/dev/null; then
  ensure_cmd useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$APP_USER"
fi
ensure_dir "$APP_HOME" 755 root:root
ensure_dir "$APP_HOME/releases" 755 root:root
# The service may write its settings file (PUT /config/update persists into it, via a temp file + rename).
ensure_dir "$CONF_DIR" 770 "root:$APP_USER"
ensure_dir "$DATA_DIR" 700 "$APP_USER:$APP_USER"
ensure_dir "$DATA_DIR/keys" 700 "$APP_USER:$APP_USER"
ensure_dir "$LOG_DIR" 750 "$APP_USER:$APP_USER"
ensure_dir "$BACKUP_DIR" 700 "$APP_USER:$APP_USER"
end_step

# 5. The app: this repository at --version, built, in /opt/algogate/releases/<commit>; `current` points at it.
step app
if git -C "$SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git -C "$SOURCE_DIR" rev-parse --verify "$VERSION_REF^{commit}") || die "unknown --version $VERSION_REF"
  release="$APP_HOME/releases/${commit:0:12}"
else
  [[ "$VERSION_REF" == "HEAD" ]] || die "--version needs a git checkout ($SOURCE_DIR is not one)"
  commit=""
  release="$APP_HOME/releases/$(node -p "require('$SOURCE_DIR/package.json').version" 2>/dev/null || echo local)"
fi
marker="$(p "$release")/.algogate-release"
if [[ -f "$marker" ]]; then
  printf '  app: %s already installed\n' "$release"
else
  rm -rf "$(p "$release")"
  mkdir -p "$(p "$release")"
  if [[ -n "$commit" ]]; then
    git -C "$SOURCE_DIR" archive --format=tar "$commit" | tar -x -C "$(p "$release")"
  else
    tar -C "$SOURCE_DIR" --exclude=./node_modules --exclude=./data --exclude=./.git -cf - . | tar -x -C "$(p "$release")"
  fi
  changed "copied ${commit:-$SOURCE_DIR} to $release"
  # Full install (dev dependencies build dist/ via `prepare`), then drop the dev dependencies.
  run bash -c "cd '$release' && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund"
  printf 'commit=%s\n' "${commit:-none}" >"$marker"
  RESTART_NEEDED="yes"
fi
ensure_symlink "$release" "$APP_HOME/current"
if [[ "$STEP_CHANGED" == "yes" ]]; then RESTART_NEEDED="yes"; fi
end_step

# 6. Settings and secrets. algogate.yaml: created once, then the operator's (and PUT /config/update's): a
#    rerun never rewrites it. env: secrets, read by systemd (as root) into the service's environment;
#    each generated once, never overwritten.
step config
yaml=$(p "$CONF_DIR/algogate.yaml")
if [[ ! -f "$yaml" ]]; then
  put_file "$CONF_DIR/algogate.yaml" 600 "$APP_USER:$APP_USER" <<EOF
# algogate settings, created by deploy/install.sh (never rewritten by it: edit freely, or use
# PUT /config/update). Environment variables in /etc/algogate/env win over this file.
# Every setting: the README configuration table, or \`algogate config init\` for a full template.
env: production
host: 127.0.0.1
port: $PORT
${SOCKET:+socket: $SOCKET
}dataDir: $DATA_DIR
logLevel: info
# algogate backup create / scheduled backups (schedule, key file, retention: README "Backup and recovery").
backup:
  dir: $BACKUP_DIR
# nginx on this host passes the client's address (X-Forwarded-For) and scheme; believe only it.
httpSecurity:
  trustedProxies: [127.0.0.1, "::1"]
EOF
else
  ensure_mode "$yaml" 600
  ensure_owner "$yaml" "$APP_USER:$APP_USER"
  file_port=$(awk '/^port:/ { print $2 }' "$yaml")
  if [[ -n "$file_port" && "$file_port" != "$PORT" && ${#UPSTREAMS[@]} -eq 1 && "${UPSTREAMS[0]}" == "127.0.0.1:$PORT" ]]; then
    printf '  config: WARNING: %s says port %s but nginx is pointed at %s (--port %s); fix one of them\n' \
      "$CONF_DIR/algogate.yaml" "$file_port" "${UPSTREAMS[0]}" "$PORT"
  fi
fi
env_file=$(p "$CONF_DIR/env")
if [[ ! -f "$env_file" ]]; then
  install -m 600 /dev/null "$env_file"
  printf '# algogate secrets (generated by deploy/install.sh once; keep a copy with your backups).\n' >>"$env_file"
  changed "created $CONF_DIR/env"
fi
for name in ALGOGATE_JWT_SECRET ALGOGATE_API_KEY_PEPPER ALGOGATE_MASTER_KEY; do
  if ! grep -q "^$name=" "$env_file"; then
    printf '%s=%s\n' "$name" "$(random_hex)" >>"$env_file"
    changed "generated $name"
  fi
done
ensure_mode "$env_file" 600
ensure_owner "$env_file" root:root
[[ "$STEP_CHANGED" == "yes" ]] && RESTART_NEEDED="yes"
end_step

# 7. systemd unit (plus an optional MemoryMax drop-in).
step systemd
put_file /etc/systemd/system/algogate.service 644 root:root <"$SCRIPT_DIR/systemd/algogate.service"
dropin=/etc/systemd/system/algogate.service.d/memory.conf
if [[ -n "$MEMORY_MAX" ]]; then
  put_file "$dropin" 644 root:root <<<"$(printf '[Service]\nMemoryMax=%s' "$MEMORY_MAX")"
elif [[ -e $(p "$dropin") ]]; then
  rm -f "$(p "$dropin")"
  changed "removed $dropin"
fi
if [[ "$STEP_CHANGED" == "yes" ]]; then
  run systemctl daemon-reload
  RESTART_NEEDED="yes"
fi
if [[ "$DRY" == "yes" ]]; then
  [[ -L $(p /etc/systemd/system/multi-user.target.wants/algogate.service) ]] ||
    ensure_symlink /etc/systemd/system/algogate.service /etc/systemd/system/multi-user.target.wants/algogate.service
  [[ "$RESTART_NEEDED" == "yes" ]] && run systemctl restart algogate
elif ! systemctl is-enabled --quiet algogate; then
  run systemctl enable --now algogate
elif [[ "$RESTART_NEEDED" == "yes" ]] || ! systemctl is-active --quiet algogate; then
  run systemctl restart algogate
fi
end_step

# 8. nginx site; TLS from Let's Encrypt (certbot --webroot) when --domain and --email are given.
if [[ "$SKIP_NGINX" == "no" ]]; then
  step nginx
  server_name="${DOMAIN:-_}"
  cert="/etc/letsencrypt/live/$DOMAIN/fullchain.pem"
  key="/etc/letsencrypt/live/$DOMAIN/privkey.pem"
  render_args=(--server-name "$server_name" --acme-root "$ACME_ROOT")
  for u in "${UPSTREAMS[@]}"; do render_args+=(--upstream "$u"); done
  tls_args=()
  if [[ -n "$DOMAIN" && -f $(p "$cert") ]]; then tls_args=(--tls-cert "$cert" --tls-key "$key"); fi
  if [[ -n "$SOCKET" ]] && { [[ "$DRY" == "yes" ]] || ! id -nG www-data 2>/dev/null | grep -qw "$APP_USER"; }; then
    # The socket is 0660 algogate:algogate in /run/algogate (0750): nginx's workers need the group.
    ensure_cmd usermod -aG "$APP_USER" www-data
    NGINX_RELOAD="yes"
  fi
  ensure_dir "$ACME_ROOT" 755 root:root
  # (Rendered into a variable first: a pipe would run put_file in a subshell and lose its "changed".)
  site=$(sh "$SCRIPT_DIR/nginx/render.sh" "${render_args[@]}" "${tls_args[@]}")
  put_file /etc/nginx/sites-available/algogate.conf 644 root:root <<<"$site"
  ensure_symlink /etc/nginx/sites-available/algogate.conf /etc/nginx/sites-enabled/algogate.conf
  if [[ -L $(p /etc/nginx/sites-enabled/default) ]]; then
    rm -f "$(p /etc/nginx/sites-enabled/default)"
    changed "disabled the default site"
  fi
  [[ "$STEP_CHANGED" == "yes" ]] && NGINX_RELOAD="yes"
  if [[ "$NGINX_RELOAD" == "yes" && "$STEP_CHANGED" == "yes" ]]; then
    run nginx -t
    run systemctl reload-or-restart nginx
  fi
  if [[ -n "$DOMAIN" && -n "$EMAIL" && ${#tls_args[@]} -eq 0 ]]; then
    # First certificate: nginx already answers the challenge on port 80. Renewals run from certbot's timer;
    # the deploy hook reloads nginx with the new certificate.
    ensure_cmd certbot certonly --webroot -w "$ACME_ROOT" -d "$DOMAIN" --email "$EMAIL" --agree-tos \
      --non-interactive --deploy-hook "systemctl reload nginx"
    if [[ -f $(p "$cert") ]]; then
      site=$(sh "$SCRIPT_DIR/nginx/render.sh" "${render_args[@]}" --tls-cert "$cert" --tls-key "$key")
      put_file /etc/nginx/sites-available/algogate.conf 644 root:root <<<"$site"
      run nginx -t
      run systemctl reload nginx
    fi
  elif [[ -n "$DOMAIN" && -z "$EMAIL" && ${#tls_args[@]} -eq 0 ]]; then
    printf '  nginx: no --email: serving plain HTTP for %s (rerun with --email for TLS)\n' "$DOMAIN"
  fi
  end_step
fi

# 9. Firewall: SSH, HTTP and HTTPS in; everything else denied.
if [[ "$SKIP_FIREWALL" == "no" ]]; then
  step firewall
  rules=("$SSH_PORT/tcp" 80/tcp 443/tcp)
  status=""
  [[ "$DRY" == "no" ]] && status=$(ufw status 2>/dev/null || true)
  # SSH first, so enabling the firewall never cuts the session running this script.
  for r in "${rules[@]}"; do
    grep -qE "^$r +ALLOW" <<<"$status" || ensure_cmd ufw allow "$r"
  done
  grep -q '^Status: active' <<<"$status" || ensure_cmd ufw --force enable
  end_step
fi

# 10. logrotate for /var/log/algogate.
step logrotate
put_file /etc/logrotate.d/algogate 644 root:root <"$SCRIPT_DIR/logrotate/algogate"
end_step

printf 'done. Settings: %s/algogate.yaml; secrets: %s/env; logs: %s/algogate.log\n' "$CONF_DIR" "$CONF_DIR" "$LOG_DIR"
if [[ "$DRY" == "no" ]]; then
  printf 'First start prints the admin login and an API key once: grep -A8 "first start" %s/algogate.log\n' "$LOG_DIR"
fi
