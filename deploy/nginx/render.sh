#!/bin/sh
# Renders deploy/nginx/algogate.conf.template into an nginx site on stdout.
# POSIX sh + awk, so it runs in the nginx:alpine container of the compose `scale` profile as well as on a VPS.
#
#   render.sh [--upstream HOST:PORT|unix:/path]... [--server-name NAME] [--listen PORT|ADDR:PORT]
#             [--listen-tls PORT|ADDR:PORT] [--tls-cert FILE --tls-key FILE] [--acme-root DIR]
#             [--log-dir DIR] [--body-limit SIZE] [--template FILE]
#
# Upstreams also come from NGINX_UPSTREAMS (space or comma separated) when no --upstream is given.
# Several upstreams are balanced with least_conn. With --tls-cert/--tls-key, port 80 redirects to HTTPS.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
template="$here/algogate.conf.template"
upstreams=""
server_name="_"
listen="80"
listen_tls="443"
tls_cert=""
tls_key=""
acme_root="/var/www/letsencrypt"
log_dir="/var/log/nginx"
body_limit="1m"

die() {
  printf 'render.sh: %s\n' "$1" >&2
  exit 2
}

need() {
  if [ "$#" -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --upstream) need "$@"; upstreams="$upstreams $2"; shift 2 ;;
    --server-name) need "$@"; server_name="$2"; shift 2 ;;
    --listen) need "$@"; listen="$2"; shift 2 ;;
    --listen-tls) need "$@"; listen_tls="$2"; shift 2 ;;
    --tls-cert) need "$@"; tls_cert="$2"; shift 2 ;;
    --tls-key) need "$@"; tls_key="$2"; shift 2 ;;
    --acme-root) need "$@"; acme_root="$2"; shift 2 ;;
    --log-dir) need "$@"; log_dir="$2"; shift 2 ;;
    --body-limit) need "$@"; body_limit="$2"; shift 2 ;;
    --template) need "$@"; template="$2"; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

if [ -z "$upstreams" ]; then
  upstreams=$(printf '%s' "${NGINX_UPSTREAMS:-127.0.0.1:5000}" | tr ',' ' ')
fi
if [ -n "$tls_cert" ] && [ -z "$tls_key" ]; then die "--tls-cert needs --tls-key"; fi
if [ -z "$tls_cert" ] && [ -n "$tls_key" ]; then die "--tls-key needs --tls-cert"; fi
[ -r "$template" ] || die "template not readable: $template"

# Every value lands inside an nginx directive: refuse characters that could end it or start a new one.
for v in $upstreams "$server_name" "$listen" "$listen_tls" "$tls_cert" "$tls_key" "$acme_root" "$log_dir" "$body_limit"; do
  case "$v" in
    *';'* | *'{'* | *'}'* | *'"'* | *"'"* | *'$'* | *"\\"*) die "unsafe character in: $v" ;;
  esac
done
count=0
for u in $upstreams; do
  case "$u" in
    unix:/*) ;;
    *:[0-9]*) ;;
    *) die "upstream must be HOST:PORT or unix:/path, got: $u" ;;
  esac
  count=$((count + 1))
done

# "80" listens on IPv4 and IPv6; "127.0.0.1:8080" (or "[::1]:8080") listens on that address only.
listen_lines() { # $1 port-or-address, $2 extra flags
  case "$1" in
    *:*) printf 'listen %s%s;' "$1" "$2" ;;
    *) printf 'listen %s%s;\nlisten [::]:%s%s;' "$1" "$2" "$1" "$2" ;;
  esac
}

servers=""
for u in $upstreams; do
  servers="${servers}server $u max_fails=3 fail_timeout=10s;
"
done
if [ "$count" -gt 1 ]; then balance="least_conn;"; else balance=""; fi
tls=no
[ -n "$tls_cert" ] && tls=yes

awk \
  -v tls="$tls" \
  -v servers="$servers" \
  -v balance="$balance" \
  -v listen_http="$(listen_lines "$listen" "")" \
  -v listen_https="$(listen_lines "$listen_tls" " ssl http2")" \
  -v server_name="$server_name" \
  -v tls_cert="$tls_cert" \
  -v tls_key="$tls_key" \
  -v acme_root="$acme_root" \
  -v log_dir="$log_dir" \
  -v body_limit="$body_limit" '
function subst(line, key, value,    i, out) {
  out = ""
  while ((i = index(line, key)) > 0) {
    out = out substr(line, 1, i - 1) value
    line = substr(line, i + length(key))
  }
  return out line
}
# A placeholder alone on its line expands to several lines, each with the same indentation.
function block(line, key, value,    indent, n, parts, j, out) {
  indent = line
  sub(/[^ ].*$/, "", indent)
  n = split(value, parts, "\n")
  out = ""
  for (j = 1; j <= n; j++) if (parts[j] != "") out = out (out == "" ? "" : "\n") indent parts[j]
  return out
}
/^#:/ { next }
/^# \{\{#tls\}\}$/ { intls = 1; next }
/^# \{\{\/tls\}\}$/ { intls = 0; next }
intls && tls != "yes" { next }
/^ *\{\{UPSTREAM_SERVERS\}\} *$/ { print block($0, "", servers); next }
/^ *\{\{LISTEN_HTTP\}\} *$/ { print block($0, "", listen_http); next }
/^ *\{\{LISTEN_HTTPS\}\} *$/ { print block($0, "", listen_https); next }
/^ *\{\{BALANCE\}\} *$/ { if (balance != "") print block($0, "", balance); next }
{
  line = $0
  line = subst(line, "{{SERVER_NAME}}", server_name)
  line = subst(line, "{{TLS_CERT}}", tls_cert)
  line = subst(line, "{{TLS_KEY}}", tls_key)
  line = subst(line, "{{ACME_ROOT}}", acme_root)
  line = subst(line, "{{LOG_DIR}}", log_dir)
  line = subst(line, "{{BODY_LIMIT}}", body_limit)
  print line
}
' "$template"
