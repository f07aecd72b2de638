#!/usr/bin/env bash
# Measures arca's npm registry endpoint against Verdaccio serving the same
# package on the same machine in the same run: packument requests/s (the
# abbreviated form npm install asks for, and the full form npm view asks
# for) and tarball requests/s, plus each server's peak RSS. See
# bench/README.md.
#
#   VERDACCIO=/path/to/node_modules/.bin/verdaccio bash bench/npm.sh
#   DURATION=3s VERSIONS=10 VERDACCIO=… bash bench/npm.sh     # quick run
#
# Verdaccio is not installed by this script; bench/README.md says how.
# Everything listens on 127.0.0.1 only; every process and temp file this
# script starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

VERDACCIO=${VERDACCIO:-${1:-}}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
VERSIONS=${VERSIONS:-30}          # versions of the benchmark package
TARBALL_SIZE=${TARBALL_SIZE:-16384}
PKG=bench-pkg
RESULTS=${RESULTS:-$ROOT/bench/results/npm.md}

. bench/lib.sh

[ -n "$VERDACCIO" ] || die "set VERDACCIO to the verdaccio executable (bench/README.md: installing Verdaccio 6.8.0)"
[ -x "$VERDACCIO" ] || die "$VERDACCIO is not executable"
command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk"

for v in $(compgen -e | grep '^ARCA_' || true); do unset "$v"; done
export ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHKEY00000001
export ARCA_ROOT_SECRET_ACCESS_KEY=bench/secret/key/0123456789abcdefghijklm
export ARCA_REGION=us-east-1
export ARCA_LOG_LEVEL=info
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-npm-bench.XXXXXX")
ARCA_PID=""
VERD_PID=""
cleanup() {
  local rc=$?
  set +e
  for p in $ARCA_PID $VERD_PID; do
    kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  [ "$rc" = 0 ] || { tail -20 "$TMP"/*.log >&2 2>/dev/null; }
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- arca
start_arca_for npm-token registry
ARCA_REG=$ARCA_URL

# ---------------------------------------------------------------- verdaccio
VPORT=$("$BENCHCTL" freeport)
mkdir -p "$TMP/verdaccio/storage"
cat >"$TMP/verdaccio/config.yaml" <<EOF2
storage: $TMP/verdaccio/storage
auth:
  htpasswd:
    file: $TMP/verdaccio/htpasswd
    max_users: 10
uplinks: {}
# Reads are open to anonymous clients too, so that Verdaccio can also be
# measured at its fastest (no token to check); a token, when sent, is still
# verified.
packages:
  '@*/*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
# JWT tokens: without them Verdaccio checks the htpasswd (bcrypt) password
# on every request and serves a few requests per second.
security:
  api:
    jwt:
      sign:
        expiresIn: 7d
max_body_size: 100mb
listen: 127.0.0.1:$VPORT
log: { type: stdout, format: pretty, level: error }
EOF2
"$VERDACCIO" --config "$TMP/verdaccio/config.yaml" >"$TMP/verdaccio.log" 2>&1 &
VERD_PID=$!
VERD_REG=http://127.0.0.1:$VPORT/
for i in $(seq 300); do
  curl -s -o /dev/null "$VERD_REG-/ping" 2>/dev/null && break
  kill -0 "$VERD_PID" 2>/dev/null || die "verdaccio exited at start-up"
  sleep 0.1
done
VERD_TOKEN=$("$BENCHCTL" npm-user -registry "$VERD_REG")
# Verdaccio runs under node: measure the node process, not a wrapper.
VERD_NODE=$(pgrep -P "$VERD_PID" node || echo "$VERD_PID")

# ---------------------------------------------------------------- the package
SEED=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
log "publishing $VERSIONS versions of $PKG ($TARBALL_SIZE-byte payloads) to both"
"$BENCHCTL" npm-seed -registry "$ARCA_REG" -token "$ARCA_TOKEN" -name $PKG -versions "$VERSIONS" -size "$TARBALL_SIZE" -seed "$SEED" >/dev/null
"$BENCHCTL" npm-seed -registry "$VERD_REG" -token "$VERD_TOKEN" -name $PKG -versions "$VERSIONS" -size "$TARBALL_SIZE" -seed "$SEED" >/dev/null
LAST=1.$((VERSIONS - 1)).0
TARBALL="$PKG/-/$PKG-$LAST.tgz"

# Both must serve the same tarball bytes before anything is measured.
a=$(curl -sf -H "Authorization: Bearer $ARCA_TOKEN" "$ARCA_REG$TARBALL" | sha256sum | cut -d' ' -f1)
b=$(curl -sf -H "Authorization: Bearer $VERD_TOKEN" "$VERD_REG$TARBALL" | sha256sum | cut -d' ' -f1)
[ "$a" = "$b" ] || die "arca and Verdaccio serve different tarballs ($a vs $b)"
for reg in "$ARCA_REG $ARCA_TOKEN" "$VERD_REG $VERD_TOKEN"; do
  set -- $reg
  n=$(curl -sf -H "Authorization: Bearer $2" -H 'Accept: application/vnd.npm.install-v1+json' "$1$PKG" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["versions"]))')
  [ "$n" = "$VERSIONS" ] || die "$1 lists $n versions of $PKG, want $VERSIONS"
done

ABBREV='Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
wrk_rps() {  # wrk_rps TOKEN URL [HEADER] -> requests/s; dies on non-2xx answers
  local tok=$1 url=$2 hdr=${3:-Accept: */*} out auth="X-No-Token: 1"
  [ -z "$tok" ] || auth="Authorization: Bearer $tok"
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s -H "$auth" -H "$hdr" "$url" >/dev/null 2>&1 || true
  out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$DURATION" -H "$auth" -H "$hdr" "$url") || die "wrk failed: $out"
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then printf '%s\n' "$out" >&2; die "wrk saw errors from $url"; fi
  out=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  awk -v r="$out" 'BEGIN { exit !(r > 0) }' || die "no request to $url completed"
  printf '%s\n' "$out"
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
rss() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

declare -A R
for what in abbrev full tarball; do
  case $what in
    abbrev) path=$PKG hdr=$ABBREV ;;
    full) path=$PKG hdr='Accept: application/json' ;;
    tarball) path=$TARBALL hdr='Accept: */*' ;;
  esac
  log "$what: arca"
  R[arca_$what]=$(wrk_rps "$ARCA_TOKEN" "$ARCA_REG$path" "$hdr")
  log "$what: verdaccio"
  R[verd_$what]=$(wrk_rps "$VERD_TOKEN" "$VERD_REG$path" "$hdr")
  log "$what: verdaccio, anonymous"
  R[anon_$what]=$(wrk_rps "" "$VERD_REG$path" "$hdr")
done
ARCA_RSS=$(rss "$ARCA_PID")
VERD_RSS=$(rss "$VERD_NODE")
PSIZE=$(curl -sf -H "Authorization: Bearer $ARCA_TOKEN" -H "$ABBREV" "$ARCA_REG$PKG" | wc -c)
FSIZE=$(curl -sf -H "Authorization: Bearer $ARCA_TOKEN" "$ARCA_REG$PKG" | wc -c)
TSIZE=$(curl -sf -H "Authorization: Bearer $ARCA_TOKEN" "$ARCA_REG$TARBALL" | wc -c)

{
  echo "# npm endpoint: arca vs Verdaccio $("$VERDACCIO" --version 2>/dev/null || echo '?')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg);"
  echo "wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION; one package of $VERSIONS versions; arca always with a Bearer token, Verdaccio with its token and anonymously."
  echo
  echo "| request | bytes (arca) | arca req/s | Verdaccio req/s, token | Verdaccio req/s, anonymous | arca / Verdaccio (best of the two) |"
  echo "|---|---:|---:|---:|---:|---:|"
  row() {  # row LABEL KEY SIZE
    echo "| $1 | $3 | ${R[arca_$2]} | ${R[verd_$2]} | ${R[anon_$2]} | $(ratio "${R[arca_$2]}" "$(best "${R[verd_$2]}" "${R[anon_$2]}")") |"
  }
  row "packument, abbreviated (npm install)" abbrev "$PSIZE"
  row "packument, full (npm view)" full "$FSIZE"
  row "tarball" tarball "$TSIZE"
  echo
  echo "Peak RSS: arca $ARCA_RSS MiB, Verdaccio (node) $VERD_RSS MiB."
} >"$TMP/npm.md"
cat "$TMP/npm.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/npm.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
