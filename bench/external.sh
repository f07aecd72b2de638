#!/usr/bin/env bash
# Measures npm install of real package trees through arca's public:npmjs
# external connection, through Verdaccio with an uplink to the same
# registry, and directly from the registry: cold and warm, on this machine,
# in one run, median of RUNS, with the upstream requests each install cost.
# See bench/README.md.
#
#   VERDACCIO=/path/to/node_modules/.bin/verdaccio bash bench/external.sh
#   RUNS=1 TREES=express@4.21.2 VERDACCIO=… bash bench/external.sh   # quick run
#
# The registry is the one npm is configured with (`npm config get
# registry`), asked at run time. Every upstream request of every side goes
# through bench/cmd/countproxy, which counts them. Nothing is installed by
# this script. Servers listen on 127.0.0.1 only; every process and temp file
# this script starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

VERDACCIO=${VERDACCIO:-${1:-}}
TREES=${TREES:-express@4.21.2 eslint@9.17.0}
RUNS=${RUNS:-3}
DIRECT_NOPROXY=${DIRECT_NOPROXY:-1}
LOG_LEVEL=${LOG_LEVEL:-info}
KEEP_LOGS=${KEEP_LOGS:-0}
TTL=${TTL:-300}   # metadata freshness, seconds, the same for arca and Verdaccio
INSTALL_TIMEOUT=${INSTALL_TIMEOUT:-600}
RESULTS=${RESULTS:-$ROOT/bench/results/external.md}

. bench/lib.sh

missing=""
for t in go npm node aws curl timeout; do command -v "$t" >/dev/null || missing="$missing $t"; done
[ -z "$missing" ] || die "missing:$missing (go, node with npm, the aws CLI, curl)"
[ -n "$VERDACCIO" ] || die "set VERDACCIO to the verdaccio executable (bench/README.md: installing Verdaccio 6.8.0)"
[ -x "$VERDACCIO" ] || die "$VERDACCIO is not executable"
case "$RUNS" in '' | *[!0-9]* | 0) die "RUNS must be a positive number";; esac

REGISTRY=$(npm config get registry)
case "$REGISTRY" in http://* | https://*) ;; *) die "npm config get registry gave '$REGISTRY'";; esac
case "$REGISTRY" in */) ;; *) REGISTRY=$REGISTRY/;; esac

# The countproxy (and npm for the unproxied direct installs) reach the
# registry the way this machine does; everything else talks to loopback.
PROXY_ENV=()
for v in http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY; do
  [ -z "${!v:-}" ] || PROXY_ENV+=("$v=${!v}")
  unset "$v"
done
for v in $(compgen -e | grep -i '^ARCA_\|^npm_config_' || true); do unset "$v"; done
export ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHKEY00000001
export ARCA_ROOT_SECRET_ACCESS_KEY=bench/secret/key/0123456789abcdefghijklm
export ARCA_REGION=us-east-1
export ARCA_LOG_LEVEL=$LOG_LEVEL
export ARCA_EXTERNAL_METADATA_TTL=$TTL
export AWS_ACCESS_KEY_ID=$ARCA_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ARCA_ROOT_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-external-bench.XXXXXX")
export AWS_CONFIG_FILE=$TMP/aws-none AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-none
ARCA_PID=""
VERD_PID=""
PROXY_PID=""
LOGDIR=$ROOT/bench/results/external-logs
cleanup() {
  local rc=$?
  set +e
  for p in $ARCA_PID $VERD_PID $PROXY_PID; do
    kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  [ "$KEEP_LOGS" = 0 ] || cp "$TMP/countproxy.log" "$LOGDIR/countproxy.log" 2>/dev/null
  if [ "$rc" != 0 ] && [ -f "$TMP/arca.log" ]; then
    mkdir -p "$ROOT/bench/results"
    cp "$TMP/arca.log" "$ROOT/bench/results/external-arca-failure.log"
    grep -q 'msg="shutting down' "$TMP/arca.log" &&
      printf '%s: arca was sent SIGINT or SIGTERM during the run, not by this script\n' "$BENCH_NAME" >&2
    printf '%s: arca'"'"'s log is in bench/results/external-arca-failure.log\n' "$BENCH_NAME" >&2
  fi
  [ "$rc" = 0 ] || { tail -20 "$TMP"/*.log >&2 2>/dev/null; }
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building arca, benchctl and countproxy into $TMP"
go build -o "$TMP/arca" ./cmd/arca
go build -o "$TMP/benchctl" ./bench/cmd/benchctl
go build -o "$TMP/countproxy" ./bench/cmd/countproxy
BENCHCTL=$TMP/benchctl
[ "$KEEP_LOGS" = 0 ] || { rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"; }

# ---------------------------------------------------------------- countproxy
PPORT=$("$BENCHCTL" freeport)
VERBOSE=()
[ "$KEEP_LOGS" = 0 ] || VERBOSE=(-v)
env "${PROXY_ENV[@]}" "$TMP/countproxy" -upstream "$REGISTRY" -listen "127.0.0.1:$PPORT" "${VERBOSE[@]}" 2>"$TMP/countproxy.log" &
PROXY_PID=$!
PROXY=http://127.0.0.1:$PPORT/
for i in $(seq 100); do
  grep -q 'listening' "$TMP/countproxy.log" 2>/dev/null && break
  kill -0 "$PROXY_PID" 2>/dev/null || die "countproxy exited at start-up"
  sleep 0.05
done
counts() { curl -sf "${PROXY}-/countproxy"; }

# ---------------------------------------------------------------- arca
# start_arca LABEL: a fresh arca (new data directory) with repositories
# npm-store (public:npmjs, through the countproxy) and app (upstream
# npm-store); sets ARCA_PID, ARCA_REG (app's npm endpoint), ARCA_TOKEN.
start_arca() {
  local label=$1 ep aws
  rm -rf "$TMP/arca-data"
  ARCA_EXTERNAL_NPMJS_URL=$PROXY ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/arca-data" \
    "$TMP/arca" serve 2>"$TMP/arca.log" &
  ARCA_PID=$!
  ARCA_LOG_LABEL=$label
  ep=$(arca_address "$TMP/arca.log" "$ARCA_PID")
  aws="aws --endpoint-url $ep codeartifact"
  $aws create-domain --domain bench >/dev/null
  $aws create-repository --domain bench --repository npm-store >/dev/null
  $aws associate-external-connection --domain bench --repository npm-store --external-connection public:npmjs >/dev/null
  $aws create-repository --domain bench --repository app --upstreams repositoryName=npm-store >/dev/null
  ARCA_TOKEN=$($aws get-authorization-token --domain bench --query authorizationToken --output text)
  ARCA_REG=$($aws get-repository-endpoint --domain bench --repository app --format npm --query repositoryEndpoint --output text)
}
stop_arca() {
  kill -TERM "$ARCA_PID" && wait "$ARCA_PID" || true
  ARCA_PID=""
  mv "$TMP/arca.log" "$TMP/arca-stopped.log"
  [ "$KEEP_LOGS" = 0 ] || cp "$TMP/arca-stopped.log" "$LOGDIR/arca-$ARCA_LOG_LABEL.log"
}

# ---------------------------------------------------------------- verdaccio
# start_verdaccio: a fresh Verdaccio (new storage) with an uplink to the
# registry through the countproxy; sets VERD_PID, VERD_REG.
start_verdaccio() {
  local port i
  port=$("$BENCHCTL" freeport)
  rm -rf "$TMP/verdaccio"
  mkdir -p "$TMP/verdaccio/storage"
  cat >"$TMP/verdaccio/config.yaml" <<EOF2
storage: $TMP/verdaccio/storage
auth:
  htpasswd:
    file: $TMP/verdaccio/htpasswd
    max_users: -1
uplinks:
  npmjs:
    url: $PROXY
    maxage: ${TTL}s
packages:
  '@*/*':
    access: \$all
    proxy: npmjs
  '**':
    access: \$all
    proxy: npmjs
listen: 127.0.0.1:$port
log: { type: stdout, format: pretty, level: error }
EOF2
  "$VERDACCIO" --config "$TMP/verdaccio/config.yaml" >"$TMP/verdaccio.log" 2>&1 &
  VERD_PID=$!
  VERD_REG=http://127.0.0.1:$port/
  for i in $(seq 300); do
    curl -s -o /dev/null "$VERD_REG-/ping" 2>/dev/null && return 0
    kill -0 "$VERD_PID" 2>/dev/null || die "verdaccio exited at start-up"
    sleep 0.1
  done
  die "verdaccio did not answer on $VERD_REG"
}
stop_verdaccio() {
  kill -TERM "$VERD_PID" && wait "$VERD_PID" || true
  VERD_PID=""
}

# ---------------------------------------------------------------- one install
# install REGISTRY TOKEN [ENV…]: npm install of $DEPS into an empty project
# with an empty npm cache; sets SECS (wall time of npm install), PKGS
# (packages in the lockfile) and REQS/META/TGZ/UBYTES (what went through
# the countproxy meanwhile). Every lockfile entry must have been resolved
# from REGISTRY.
install() {
  local reg=$1 tok=$2 p=$TMP/proj c0 c1 t0 t1 out
  shift 2
  rm -rf "$p" "$TMP/npm-cache"
  mkdir -p "$p"
  printf '{"name":"bench-tree","version":"1.0.0","private":true,"dependencies":{%s}}\n' "$DEPS" >"$p/package.json"
  {
    echo "registry=$reg"
    if [ -n "$tok" ]; then echo "//${reg#http://}:_authToken=$tok"; echo "always-auth=true"; fi
  } >"$TMP/npmrc"
  c0=$(counts)
  t0=$(date +%s.%N)
  if ! (cd "$p" && env "$@" NPM_CONFIG_USERCONFIG="$TMP/npmrc" timeout "$INSTALL_TIMEOUT" npm install --cache "$TMP/npm-cache" \
    --no-audit --no-fund --update-notifier=false --ignore-scripts --loglevel=error >"$TMP/npm.log" 2>&1); then
    cat "$TMP/npm.log" >&2
    for s in ${ARCA_PID:+arca:$ARCA_PID} ${VERD_PID:+verdaccio:$VERD_PID} countproxy:$PROXY_PID; do
      kill -0 "${s#*:}" 2>/dev/null || log "${s%%:*} (pid ${s#*:}) is no longer running"
    done
    die "npm install from $reg failed (or ran longer than INSTALL_TIMEOUT=${INSTALL_TIMEOUT}s)"
  fi
  t1=$(date +%s.%N)
  c1=$(counts)
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  out=$(node -e '
    const lock = require(process.argv[1] + "/package-lock.json"), reg = process.argv[2];
    let n = 0, bad = [];
    for (const [k, v] of Object.entries(lock.packages || {})) {
      if (!k) continue;
      n++;
      if (!v.resolved || !v.resolved.startsWith(reg)) bad.push(k + " " + v.resolved);
    }
    if (bad.length) { console.error(bad.slice(0, 5).join("\n")); process.exit(1); }
    console.log(n);' "$p" "$reg") || die "npm resolved packages from elsewhere than $reg"
  PKGS=$out
  REQS=$(($(kv requests "$c1") - $(kv requests "$c0")))
  META=$(($(kv metadata "$c1") - $(kv metadata "$c0")))
  TGZ=$(($(kv tarballs "$c1") - $(kv tarballs "$c0")))
  UBYTES=$(($(kv bytes "$c1") - $(kv bytes "$c0")))
  [ "$(kv errors "$c1")" = "$(kv errors "$c0")" ] || log "the registry answered an error during this install ($(kv errors "$c1") so far)"
}

declare -A T N R PK   # times, run counts, upstream requests, package counts, by "tree/side"
record() {  # record TREE SIDE: appends this install's figures
  local k=$1/$2
  T[$k]="${T[$k]:-} $SECS"
  R[$k]="${R[$k]:-} $REQS:$META:$TGZ:$UBYTES"
  PK[$k]=$PKGS
  log "$(date -u +%T) $1 $2: ${SECS}s, $PKGS packages, $REQS upstream requests ($META metadata, $TGZ tarballs, $UBYTES bytes)"
}

START=$(date -u +%Y-%m-%dT%H:%MZ)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
[ -z "$(git status --porcelain -- cmd internal go.mod go.sum 2>/dev/null)" ] || COMMIT="$COMMIT with uncommitted changes"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for tree in $TREES; do
  name=${tree%@*}
  ver=${tree#*@}
  [ "$ver" != "$tree" ] || ver=latest
  DEPS="\"$name\":\"$ver\""

  # Cold: a fresh server (empty data directory / storage) for every install.
  for i in $(seq "$RUNS"); do
    install "$PROXY" ""
    record "$tree" direct
    if [ "$DIRECT_NOPROXY" != 0 ]; then
      install "$REGISTRY" "" "${PROXY_ENV[@]}"
      REQS="" META="" TGZ="" UBYTES=""
      record "$tree" direct-noproxy
    fi
    start_arca "cold-$name-$i"
    install "$ARCA_REG" "$ARCA_TOKEN"
    record "$tree" arca-cold
    stop_arca
    start_verdaccio
    install "$VERD_REG" ""
    record "$tree" verdaccio-cold
    stop_verdaccio
  done

  # Warm: the same server after one (unmeasured) install.
  start_arca "warm-$name"
  start_verdaccio
  install "$ARCA_REG" "$ARCA_TOKEN"
  record "$tree" arca-prime
  install "$VERD_REG" ""
  record "$tree" verdaccio-prime
  for i in $(seq "$RUNS"); do
    install "$ARCA_REG" "$ARCA_TOKEN"
    record "$tree" arca-warm
    install "$VERD_REG" ""
    record "$tree" verdaccio-warm
  done
  stop_arca
  stop_verdaccio
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
med() { median ${T[$1]:-}; }
runs() { echo "${T[$1]:-}" | sed 's/^ //; s/ /, /g'; }
# reqs KEY: the upstream requests of the installs of KEY, "N (M + T)" when
# every install made the same number, else each one's.
reqs() {
  local v uniq
  v=$(echo "${R[$1]:-}" | tr ' ' '\n' | grep . | cut -d: -f1-3 | sort -u)
  [ -n "$v" ] && [ "$v" != "::" ] || { echo "–"; return; }
  uniq=$(echo "$v" | wc -l)
  echo "$v" | awk -F: -v u="$uniq" '{ s = s (NR > 1 ? "; " : "") $1 " (" $2 " + " $3 ")" } END { print (u > 1 ? "varies: " : "") s }'
}
ubytes() { echo "${R[$1]:-}" | tr ' ' '\n' | grep . | cut -d: -f4 | sort -g | tail -1 | awk '{ if ($1 == "") print "–"; else printf "%.1f", $1 / 1048576 }'; }

{
  echo "# npm install through external connections: arca vs Verdaccio $("$VERDACCIO" --version 2>/dev/null || echo '?') vs direct"
  echo
  echo "$START, commit $COMMIT, $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)),"
  echo "load $LOAD0 at start, $LOAD1 at end; node $(node --version), npm $(npm --version); median of $RUNS; metadata TTL ${TTL}s on both caches."
  echo "Every install: empty npm cache, no node_modules, no lockfile, --ignore-scripts. Registry requests all go through countproxy"
  echo "(direct-noproxy: npm straight to the registry, for the proxy's own cost)."
  echo
  echo "| tree | packages | way | wall s, median | runs | upstream requests per install (metadata + tarballs) | upstream MiB |"
  echo "|---|---:|---|---:|---|---|---:|"
  for tree in $TREES; do
    for side in direct direct-noproxy arca-cold verdaccio-cold arca-prime verdaccio-prime arca-warm verdaccio-warm; do
      k=$tree/$side
      [ -n "${T[$k]:-}" ] || continue
      echo "| $tree | ${PK[$k]} | $side | $(med "$k") | $(runs "$k") | $(reqs "$k") | $(ubytes "$k") |"
    done
  done
  echo
  echo "| tree | warm arca / warm Verdaccio (target ≤ 0.8) | cold arca / direct (target ≤ 1.2) | cold arca / cold Verdaccio |"
  echo "|---|---:|---:|---:|"
  for tree in $TREES; do
    echo "| $tree | $(ratio "$(med "$tree/arca-warm")" "$(med "$tree/verdaccio-warm")") | $(ratio "$(med "$tree/arca-cold")" "$(med "$tree/direct")") | $(ratio "$(med "$tree/arca-cold")" "$(med "$tree/verdaccio-cold")") |"
  done
} >"$TMP/external.md"
cat "$TMP/external.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/external.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
