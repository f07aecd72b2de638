#!/usr/bin/env bash
# Measures arca's GetPackageVersionAsset and PublishPackageVersion for a
# 4 KiB and a large (default 1 GiB) asset, beside nginx serving the same two
# files on the same machine in the same run. See bench/README.md.
#
#   bash bench/run.sh
#   SIZE_LARGE=67108864 DURATION=3s bash bench/run.sh     # quick run
#
# Everything listens on 127.0.0.1 only; every process and temp file this
# script starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}                 # wrk and publish-load duration
SIZE_SMALL=4096
SIZE_LARGE=${SIZE_LARGE:-1073741824}      # bytes of the large asset
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
PUBLISH_CONC=${PUBLISH_CONC:-8}           # concurrent 4 KiB publishers
PUBLISH_DURATION=${PUBLISH_DURATION:-$DURATION}
CURL_RUNS=${CURL_RUNS:-3}                 # large downloads: best of N
RESULTS=${RESULTS:-$ROOT/bench/results/latest.md}
RSS_TARGET_MIB=100

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# Measure the default storage (SQLite and blobs under the data directory),
# whatever ARCA_* settings the caller's environment carries.
for v in $(compgen -e | grep '^ARCA_' || true); do unset "$v"; done
export ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHKEY00000001
export ARCA_ROOT_SECRET_ACCESS_KEY=bench/secret/key/0123456789abcdefghijklm
export ARCA_REGION=us-east-1
export ARCA_LOG_LEVEL=info   # info logs start-up only; debug would log every request
export ARCA_MAX_ASSET_SIZE=$((SIZE_LARGE > 5368709120 ? SIZE_LARGE : 5368709120))
# Loopback only: never let curl or the SDK pick up a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true

. bench/lib.sh

# ---------------------------------------------------------------- clean-up
TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-bench.XXXXXX")
ARCA_PID=""
NGINX_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$ARCA_PID" ] && kill -0 "$ARCA_PID" 2>/dev/null; then
    if [ "$rc" != 0 ]; then
      # Failed while arca ran: SIGQUIT makes it log its goroutines, which
      # shows where a hung request waits.
      kill -QUIT "$ARCA_PID"; wait "$ARCA_PID" 2>/dev/null
      mkdir -p "$(dirname "$RESULTS")"
      cp "$TMP/arca.$ARCA_N.log" "$(dirname "$RESULTS")/arca-failure.log"
      echo "bench/run.sh failed while arca was running; its log and goroutines: $(dirname "$RESULTS")/arca-failure.log" >&2
    else
      kill -TERM "$ARCA_PID"; wait "$ARCA_PID" 2>/dev/null
    fi
  fi
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true

apt_install() {  # retries once on dpkg's transient "cannot stat" error
  local try
  for try in 1 2; do
    if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$TMP/apt.log" 2>&1; then
      return 0
    fi
    grep -q 'cannot stat' "$TMP/apt.log" || return 1
    log "apt-get install hit dpkg's 'cannot stat' error; retrying once"
  done
  return 1
}
if [ -z "$NGINX" ] || ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
  log "installing nginx-light wrk curl"
  if ! apt_install nginx-light wrk curl; then
    log "apt-get install failed; running apt-get update first"
    $SUDO apt-get update -q >"$TMP/apt-update.log" 2>&1 || { cat "$TMP/apt-update.log" >&2; die "apt-get update failed"; }
    apt_install nginx-light wrk curl || { cat "$TMP/apt.log" >&2; die "apt-get install failed"; }
  fi
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi
[ -x "$NGINX" ] || die "nginx not found"

# ---------------------------------------------------------------- build
log "building arca and benchctl into $TMP"
go build -o "$TMP/arca" ./cmd/arca
go build -o "$TMP/benchctl" ./bench/cmd/benchctl
BENCHCTL="$TMP/benchctl"

# ---------------------------------------------------------------- files
SMALL_H=$(human $SIZE_SMALL)
LARGE_H=$(human "$SIZE_LARGE")
WWW="$TMP/www"
mkdir -p "$WWW" "$TMP/nginx/tmp"
log "creating the $SMALL_H and $LARGE_H files from /dev/urandom"
head -c $SIZE_SMALL /dev/urandom >"$WWW/small.bin"
head -c "$SIZE_LARGE" /dev/urandom >"$WWW/large.bin"
[ "$(stat -c %s "$WWW/large.bin")" = "$SIZE_LARGE" ] || die "could not create $WWW/large.bin"
LARGE_SHA=$(sha256sum "$WWW/large.bin" | cut -d' ' -f1)

# ---------------------------------------------------------------- arca
# arca is restarted for every phase (same data directory), so that VmHWM, the
# kernel's exact lifetime peak RSS of the process, is that phase's peak.
ARCA_N=0
ENDPOINT=""
start_arca() {
  ARCA_N=$((ARCA_N + 1))
  local logf="$TMP/arca.$ARCA_N.log"
  ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/data" "$TMP/arca" serve 2>"$logf" &
  ARCA_PID=$!
  ENDPOINT=$(arca_address "$logf" "$ARCA_PID")
  export ARCA_ENDPOINT=$ENDPOINT
}
# arca_stat prints the running arca's "vmhwm_kib=… vmrss_kib=… cpu_s=…".
arca_stat() { "$BENCHCTL" procstat -pid "$ARCA_PID"; }
stop_arca() {
  kill -TERM "$ARCA_PID"
  wait "$ARCA_PID" || true
  ARCA_PID=""
}
cpu_delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- nginx
start_nginx 'default_type application/octet-stream;'

# ---------------------------------------------------------------- measuring
wrk_rps() {  # wrk_rps URL -> requests/s; dies on non-2xx answers
  local out
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s "$1" >/dev/null 2>&1 || true   # warm-up
  out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$DURATION" "$1") || die "wrk failed: $out"
  printf '%s\n' "$out" >>"$TMP/wrk.log"
  if grep -q 'Non-2xx' <<<"$out"; then printf '%s\n' "$out" >&2; die "wrk saw non-2xx answers from $1"; fi
  awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
to_mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

log "phase 0: set-up (domain, repository, $SMALL_H asset)"
start_arca
"$BENCHCTL" publish -file "$WWW/small.bin" -version 1.0.0-small -asset small.bin >/dev/null
stop_arca

log "phase 1: PublishPackageVersion $LARGE_H (fresh arca process)"
start_arca
s0=$(arca_stat)
out=$("$BENCHCTL" publish -file "$WWW/large.bin" -version 1.0.0-large -asset large.bin -sha256 "$LARGE_SHA")
s1=$(arca_stat)
PUB_LARGE_MBPS=$(kv mbps "$out")
PUB_LARGE_RSS=$(kib_to_mib "$(kv vmhwm_kib "$s1")")
PUB_LARGE_CPU=$(cpu_delta "$(kv cpu_s "$s0")" "$(kv cpu_s "$s1")")
stop_arca

log "phase 2: GetPackageVersionAsset $LARGE_H, best of $CURL_RUNS (fresh arca process)"
start_arca
LARGE_URL=$("$BENCHCTL" presign -version 1.0.0-large -asset large.bin)
# nginx and arca alternate, so that both see the same background load.
best_ngx=0 best_arca=0
s0=$(arca_stat)
for i in $(seq "$CURL_RUNS"); do
  sp=$(curl_speed "$NGINX_URL/large.bin" "$SIZE_LARGE"); best_ngx=$(max "$best_ngx" "$sp")
  sp=$(curl_speed "$LARGE_URL" "$SIZE_LARGE"); best_arca=$(max "$best_arca" "$sp")
done
s1=$(arca_stat)
NGX_LARGE_MBPS=$(to_mb "$best_ngx")
GET_LARGE_MBPS=$(to_mb "$best_arca")
GET_LARGE_RSS=$(kib_to_mib "$(kv vmhwm_kib "$s1")")
GET_LARGE_CPU=$(cpu_delta "$(kv cpu_s "$s0")" "$(kv cpu_s "$s1")")
stop_arca

log "phase 3: GetPackageVersionAsset $SMALL_H, wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION (fresh arca process)"
start_arca
SMALL_URL=$("$BENCHCTL" presign -version 1.0.0-small -asset small.bin)
cmp -s <(curl -sf "$SMALL_URL") "$WWW/small.bin" || die "arca's $SMALL_H asset differs from the file"
NGX_SMALL_RPS=$(wrk_rps "$NGINX_URL/small.bin")
GET_SMALL_RPS=$(wrk_rps "$SMALL_URL")
s1=$(arca_stat)
GET_SMALL_RSS=$(kib_to_mib "$(kv vmhwm_kib "$s1")")
stop_arca

log "phase 4: PublishPackageVersion $SMALL_H, $PUBLISH_CONC workers for $PUBLISH_DURATION (fresh arca process)"
start_arca
out=$("$BENCHCTL" publish-load -file "$WWW/small.bin" -asset small.bin -c "$PUBLISH_CONC" -d "$PUBLISH_DURATION")
s1=$(arca_stat)
PUB_SMALL_RATE=$(kv rate "$out")
PUB_SMALL_ERR=$(kv errors "$out")
PUB_SMALL_P50=$(kv p50_ms "$out")
PUB_SMALL_P99=$(kv p99_ms "$out")
PUB_SMALL_RSS=$(kib_to_mib "$(kv vmhwm_kib "$s1")")
stop_arca
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
# Compares the exact quotient, never the rounded ratio shown in the table.
ge_ratio() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (b > 0 && a / b >= t ? "met" : "MISSED") }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? "met" : "MISSED") }'; }
mbps_of_rps() { awk -v r="$1" -v s="$SIZE_SMALL" 'BEGIN { printf "%.1f", r * s / 1e6 }'; }

R_SMALL=$(ratio "$GET_SMALL_RPS" "$NGX_SMALL_RPS")
R_LARGE=$(ratio "$GET_LARGE_MBPS" "$NGX_LARGE_MBPS")
LARGE_NOTE=""
[ "$SIZE_LARGE" = 1073741824 ] || LARGE_NOTE=" (targets are for 1 GiB)"

ROWS=(
  "measurement|arca|nginx|arca/nginx|target|result"
  "GET $SMALL_H, requests/s (wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION)|$GET_SMALL_RPS|$NGX_SMALL_RPS|$R_SMALL|≥ 0.25× nginx|$(ge_ratio "$GET_SMALL_RPS" "$NGX_SMALL_RPS" 0.25)"
  "GET $SMALL_H, MB/s|$(mbps_of_rps "$GET_SMALL_RPS")|$(mbps_of_rps "$NGX_SMALL_RPS")|$R_SMALL|–|–"
  "GET $LARGE_H, MB/s (curl, best of $CURL_RUNS, alternating)|$GET_LARGE_MBPS|$NGX_LARGE_MBPS|$R_LARGE|≥ 0.8× nginx$LARGE_NOTE|$(ge_ratio "$GET_LARGE_MBPS" "$NGX_LARGE_MBPS" 0.8)"
  "PUBLISH $LARGE_H, MB/s (SDK, streamed)|$PUB_LARGE_MBPS|–|–|–|–"
  "PUBLISH $SMALL_H, publishes/s ($PUBLISH_CONC workers, p50 ${PUB_SMALL_P50} ms, p99 ${PUB_SMALL_P99} ms, $PUB_SMALL_ERR errors)|$PUB_SMALL_RATE|–|–|–|–"
  "arca peak RSS MiB, PUBLISH $LARGE_H ($PUB_LARGE_CPU CPU-s)|$PUB_LARGE_RSS|–|–|< $RSS_TARGET_MIB MiB$LARGE_NOTE|$(lt "$PUB_LARGE_RSS" $RSS_TARGET_MIB)"
  "arca peak RSS MiB, GET $LARGE_H ×$CURL_RUNS ($GET_LARGE_CPU CPU-s)|$GET_LARGE_RSS|–|–|< $RSS_TARGET_MIB MiB$LARGE_NOTE|$(lt "$GET_LARGE_RSS" $RSS_TARGET_MIB)"
  "arca peak RSS MiB, GET $SMALL_H load|$GET_SMALL_RSS|–|–|–|–"
  "arca peak RSS MiB, PUBLISH $SMALL_H load|$PUB_SMALL_RSS|–|–|–|–"
)

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- cmd internal 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes)"
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  echo "# arca asset benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), arca commit $COMMIT, $(go version | cut -d' ' -f3)"
  echo "- machine: $(nproc) CPUs ($CPU_MODEL); client, arca and nginx share them"
  echo "- load average (1/5/15 min): $LOAD_START when the script started, $LOAD_END at the end"
  echo "- command: \`SIZE_LARGE=$SIZE_LARGE DURATION=$DURATION bash bench/run.sh\`; nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- peak RSS is VmHWM of an arca process started for that phase alone (exact kernel peak); MB = 10^6 bytes"
  echo
  first=1
  for r in "${ROWS[@]}"; do
    echo "| ${r//|/ | } |"
    if [ $first = 1 ]; then echo "|---|--:|--:|--:|---|---|"; first=0; fi
  done
} >"$TMP/latest.md"

echo
if command -v column >/dev/null; then
  printf '%s\n' "${ROWS[@]}" | column -t -s '|'
else
  printf '%s\n' "${ROWS[@]}" | tr '|' '\t'
fi
echo
echo "load average: $LOAD_START when the script started, $LOAD_END at the end"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/latest.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
