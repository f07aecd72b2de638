#!/usr/bin/env bash
# Measures arca on its two storage setups and on one vs two nodes, in one run
# on this machine. See bench/README.md ("cluster.sh").
#
#   1. storage: the phases of run.sh (large publish, 4 KiB publishes/s, 4 KiB
#      GETs/s with wrk, large download with curl, peak RSS per phase) on
#      SQLite + filesystem and on PostgreSQL (a fresh schema) + S3 (a fresh
#      versitygw on a temp directory), and the ratio PG+S3 / SQLite+fs;
#   2. nodes: the same total 4 KiB GET and publish load on one arca node and
#      split over two (both on that PostgreSQL schema and bucket);
#   3. issue 18's two cluster rows (4 KiB GET and publishes/s, PG+S3 against
#      SQLite+fs), one "issue18 NAME ratio=… pg=… fs=… target=… ok|below" line each.
#
#   bash bench/cluster.sh
#   SIZE_LARGE=67108864 DURATION=3s bash bench/cluster.sh     # quick run
#
# Everything listens on 127.0.0.1 only; every process, schema and temp file
# this script starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}                 # wrk and publish-load duration
SIZE_SMALL=4096
SIZE_LARGE=${SIZE_LARGE:-268435456}       # bytes of the large asset
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
WRK_TIMEOUT=${WRK_TIMEOUT:-30s}           # a loaded machine stalls answers past wrk's 2 s default
PUBLISH_CONC=${PUBLISH_CONC:-8}           # concurrent 4 KiB publishers
PUBLISH_DURATION=${PUBLISH_DURATION:-$DURATION}
CURL_RUNS=${CURL_RUNS:-3}                 # large downloads: best of N
PG_DSN=${PG_DSN:-${ARCA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
S3_KEEP_ALIVE=${S3_KEEP_ALIVE:-1}         # versitygw --keep-alive (its default is off)
RESULTS=${RESULTS:-$ROOT/bench/results/cluster-latest.md}
VGW_VERSION=v1.8.0

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# The storage under test is chosen here, whatever ARCA_* (or versitygw's
# VGW_*) settings the caller's environment carries.
for v in $(compgen -e | grep -E '^(ARCA|VGW)_' || true); do unset "$v"; done
export ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHKEY00000001
export ARCA_ROOT_SECRET_ACCESS_KEY=bench/secret/key/0123456789abcdefghijklm
export ARCA_REGION=us-east-1
export ARCA_LOG_LEVEL=info   # info logs start-up only; debug would log every request
export ARCA_MAX_ASSET_SIZE=$((SIZE_LARGE > 5368709120 ? SIZE_LARGE : 5368709120))
export ARCA_GC_INTERVAL=0    # no background collection in any phase
# Every node gets the same token key (docs/deployment.md); SQLite too, for symmetry.
ARCA_TOKEN_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export ARCA_TOKEN_KEY
S3_ACCESS_KEY=arca-bench-s3-access
S3_SECRET_KEY=arca-bench-s3-secret-0123456789
# Loopback only: never let curl, the SDK or pgx pick up a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true

. bench/lib.sh

[ "$PUBLISH_CONC" -ge 2 ] || die "PUBLISH_CONC must be at least 2 (it is split over two nodes)"
[ "$WRK_CONNS" -ge 2 ] || die "WRK_CONNS must be at least 2 (it is split over two nodes)"
WRK_THREADS_HALF=$((WRK_THREADS / 2 > 0 ? WRK_THREADS / 2 : 1))
WRK_CONNS_A=$((WRK_CONNS / 2)); WRK_CONNS_B=$((WRK_CONNS - WRK_CONNS_A))
PUB_CONC_A=$((PUBLISH_CONC / 2)); PUB_CONC_B=$((PUBLISH_CONC - PUB_CONC_A))

# ---------------------------------------------------------------- clean-up
TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-cluster.XXXXXX")
declare -A NODE_PID=() NODE_URL=() NODE_LOG=()
BG_PIDS=()          # wrk and benchctl runs in the background
VGW_PID=""
SCHEMA=""           # set once the schema exists
BENCHCTL=""
cleanup() {
  local rc=$? p n
  set +e
  for p in "${BG_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && { kill -TERM "$p"; wait "$p" 2>/dev/null; }
  done
  for n in "${!NODE_PID[@]}"; do
    p=${NODE_PID[$n]}
    kill -0 "$p" 2>/dev/null || continue
    if [ "$rc" != 0 ]; then
      # Failed while arca ran: SIGQUIT makes it log its goroutines.
      kill -QUIT "$p"; wait "$p" 2>/dev/null
      mkdir -p "$(dirname "$RESULTS")"
      cp "${NODE_LOG[$n]}" "$(dirname "$RESULTS")/cluster-arca-failure-$n.log"
      echo "bench/cluster.sh failed while arca node $n was running; its log and goroutines: $(dirname "$RESULTS")/cluster-arca-failure-$n.log" >&2
    else
      kill -TERM "$p"; wait "$p" 2>/dev/null
    fi
  done
  if [ -n "$VGW_PID" ] && kill -0 "$VGW_PID" 2>/dev/null; then
    kill -TERM "$VGW_PID"; wait "$VGW_PID" 2>/dev/null
  fi
  if [ -n "$SCHEMA" ]; then
    "$BENCHCTL" pg-schema -dsn "$PG_DSN" -drop "$SCHEMA" || echo "bench/cluster.sh: could not drop schema $SCHEMA" >&2
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
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
  log "installing wrk curl"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk curl >"$TMP/apt.log" 2>&1 || {
    $SUDO apt-get update -q >"$TMP/apt-update.log" 2>&1 || { cat "$TMP/apt-update.log" >&2; die "apt-get update failed"; }
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk curl >"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log" >&2; die "apt-get install failed"; }
  }
fi
find_vgw() {
  local d
  command -v versitygw && return 0
  for d in ${GOBIN:-} $(go env GOPATH | tr ':' ' '); do
    [ -x "$d/versitygw" ] && { echo "$d/versitygw"; return 0; }
    [ -x "$d/bin/versitygw" ] && { echo "$d/bin/versitygw"; return 0; }
  done
  return 1
}
VGW=$(find_vgw || true)
if [ -z "$VGW" ]; then
  log "installing versitygw $VGW_VERSION (go install)"
  go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION"
  VGW=$(find_vgw) || die "versitygw not found after go install"
fi

# ---------------------------------------------------------------- build
log "building arca and benchctl into $TMP"
go build -o "$TMP/arca" ./cmd/arca
go build -o "$TMP/benchctl" ./bench/cmd/benchctl
BENCHCTL="$TMP/benchctl"

# ---------------------------------------------------------------- files
SMALL_H=$(human $SIZE_SMALL)
LARGE_H=$(human "$SIZE_LARGE")
FILES="$TMP/files"
mkdir -p "$FILES"
log "creating the $SMALL_H and $LARGE_H files from /dev/urandom"
head -c $SIZE_SMALL /dev/urandom >"$FILES/small.bin"
head -c "$SIZE_LARGE" /dev/urandom >"$FILES/large.bin"
[ "$(stat -c %s "$FILES/large.bin")" = "$SIZE_LARGE" ] || die "could not create $FILES/large.bin"
LARGE_SHA=$(sha256sum "$FILES/large.bin" | cut -d' ' -f1)

# ---------------------------------------------------------------- PostgreSQL + versitygw
rand_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
start_vgw() {
  local try port i
  mkdir -p "$TMP/s3"
  for try in 1 2 3; do   # the free port may be taken before versitygw binds it
    port=$("$BENCHCTL" freeport)
    local ka=()
    [ "$S3_KEEP_ALIVE" = 1 ] && ka=(--keep-alive)
    ROOT_ACCESS_KEY=$S3_ACCESS_KEY ROOT_SECRET_KEY=$S3_SECRET_KEY \
      "$VGW" --port "127.0.0.1:$port" --quiet "${ka[@]}" posix "$TMP/s3" >"$TMP/versitygw.log" 2>&1 &
    VGW_PID=$!
    S3_ENDPOINT=http://127.0.0.1:$port
    for i in $(seq 200); do
      kill -0 "$VGW_PID" 2>/dev/null || break
      curl -s -o /dev/null "$S3_ENDPOINT/" && return 0   # any HTTP answer will do
      sleep 0.05
    done
    kill "$VGW_PID" 2>/dev/null; wait "$VGW_PID" 2>/dev/null || true
    VGW_PID=""
  done
  cat "$TMP/versitygw.log" >&2
  die "versitygw did not start"
}

# ---------------------------------------------------------------- arca nodes
# arca is started fresh for every phase, so that VmHWM, the kernel's exact
# lifetime peak RSS of the process, is that phase's peak. Backend "fs" is
# SQLite + filesystem under $TMP/data-fs; backend "pg" is the PostgreSQL
# schema + the bucket, each node with its own scratch data directory.
ARCA_N=0
start_arca() {  # start_arca NODE BACKEND
  local node=$1 backend=$2 logf url
  ARCA_N=$((ARCA_N + 1))
  logf="$TMP/arca.$ARCA_N.$backend.$node.log"
  if [ "$backend" = pg ]; then
    ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/data-pg-$node" ARCA_DATABASE_URL="$PG_URL" \
      ARCA_BLOB_URL="$BLOB_URL" ARCA_S3_ACCESS_KEY_ID=$S3_ACCESS_KEY ARCA_S3_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
      "$TMP/arca" serve 2>"$logf" &
  else
    ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/data-fs" "$TMP/arca" serve 2>"$logf" &
  fi
  NODE_PID[$node]=$!
  NODE_LOG[$node]=$logf
  url=$(arca_address "$logf" "${NODE_PID[$node]}")
  NODE_URL[$node]=$url
}
stop_arca() {  # stop_arca NODE...
  local n
  for n in "$@"; do
    kill -TERM "${NODE_PID[$n]}"
    wait "${NODE_PID[$n]}" || true
    unset "NODE_PID[$n]"
  done
}
bc_node() {  # bc_node NODE benchctl-args... (benchctl against that node)
  local n=$1; shift
  ARCA_ENDPOINT=${NODE_URL[$n]} "$BENCHCTL" "$@"
}
calc() { awk "BEGIN { $1 }"; }

# CPU accounting of a phase: arca nodes (each its own process), PostgreSQL
# (every process named postgres, with its reaped backends) and versitygw.
# cpu_mark NAME records the counters; cpu_since NAME NODES... sets
# CPU_ARCA CPU_PG CPU_VGW CPU_TOTAL to the seconds used since the mark.
declare -A MARK=()
cpu_now() {  # prints "arca pg vgw" for nodes $@
  local n a=0 pg vgw=0
  for n in "$@"; do a=$(calc "print $a + $(kv cpu_s "$("$BENCHCTL" procstat -pid "${NODE_PID[$n]}")")"); done
  pg=$(kv cpu_s "$("$BENCHCTL" cpusum -comm postgres)")
  [ -n "$VGW_PID" ] && vgw=$(kv cpu_s "$("$BENCHCTL" procstat -pid "$VGW_PID")")
  echo "$a $pg $vgw"
}
cpu_mark() { local m=$1; shift; MARK[$m]=$(cpu_now "$@"); }
cpu_since() {
  local m=$1 a0 p0 v0 a1 p1 v1; shift
  read -r a0 p0 v0 <<<"${MARK[$m]}"
  read -r a1 p1 v1 <<<"$(cpu_now "$@")"
  CPU_ARCA=$(calc "printf \"%.2f\", $a1 - $a0")
  CPU_PG=$(calc "printf \"%.2f\", $p1 - $p0")
  CPU_VGW=$(calc "printf \"%.2f\", $v1 - $v0")
  CPU_TOTAL=$(calc "printf \"%.2f\", $CPU_ARCA + $CPU_PG + $CPU_VGW")
}
peak_rss() {  # peak_rss NODES... -> sum of their VmHWM, MiB
  local n s=0
  for n in "$@"; do s=$((s + $(kv vmhwm_kib "$("$BENCHCTL" procstat -pid "${NODE_PID[$n]}")"))); done
  kib_to_mib $s
}

# ---------------------------------------------------------------- load
# wrk_start OUT URL THREADS CONNS DUR: wrk in the background, output in OUT.
wrk_start() {
  wrk -t"$3" -c"$4" -d"$5" --timeout "$WRK_TIMEOUT" "$2" >"$1" 2>&1 &
  BG_PIDS+=($!)
}
wait_bg() {  # waits for every background run; fails if one failed
  local p rc=0
  for p in "${BG_PIDS[@]}"; do wait "$p" || rc=1; done
  BG_PIDS=()
  return $rc
}
wrk_field() {  # wrk_field FILE rps|non2xx|errors|requests
  case $2 in
    rps) awk '/^Requests\/sec:/ { print $2 }' "$1" ;;
    requests) awk '/requests in/ { print $1 }' "$1" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ { n = $NF } END { print n + 0 }' "$1" ;;
    errors) awk '/Socket errors:/ { gsub(",", ""); n = $4 + $6 + $8 + $10 } END { print n + 0 }' "$1" ;;
  esac
}
check_small() {  # check_small NODE [VERSION]: the node serves the 4 KiB asset byte for byte
  local u
  u=$(bc_node "$1" presign -version "${2:-1.0.0-small}" -asset small.bin)
  cmp -s <(curl -sf "$u") "$FILES/small.bin" || die "node $1 serves a $SMALL_H asset ${2:-1.0.0-small} that differs from the file"
}

declare -A R=()   # results: R[backend.key] or R[nodesN.key]
record_cpu() {  # record_cpu KEY BACKEND: R[KEY_cpu] (table cell) and R[KEY_cput] (total)
  if [ "$2" = pg ]; then
    R[$1_cpu]="$CPU_TOTAL (arca $CPU_ARCA, pg $CPU_PG, s3 $CPU_VGW)"
    R[$1_cput]=$CPU_TOTAL
  else  # only arca works; PostgreSQL's own background activity is not counted
    R[$1_cpu]=$CPU_ARCA
    R[$1_cput]=$CPU_ARCA
  fi
}

# ---------------------------------------------------------------- 1. storage
storage_phases() {  # storage_phases BACKEND
  local b=$1 out s1 best sp i u f
  log "[$b] set-up: domain, repository, $SMALL_H asset"
  start_arca a "$b"
  bc_node a publish -file "$FILES/small.bin" -version 1.0.0-small -asset small.bin >/dev/null
  stop_arca a

  log "[$b] PublishPackageVersion $LARGE_H"
  start_arca a "$b"
  cpu_mark p a
  out=$(bc_node a publish -file "$FILES/large.bin" -version 1.0.0-large -asset large.bin -sha256 "$LARGE_SHA")
  cpu_since p a
  R[$b.pub_large]=$(kv mbps "$out")
  R[$b.pub_large_rss]=$(peak_rss a)
  record_cpu "$b.pub_large" "$b"
  stop_arca a

  log "[$b] GetPackageVersionAsset $LARGE_H, best of $CURL_RUNS"
  start_arca a "$b"
  u=$(bc_node a presign -version 1.0.0-large -asset large.bin)
  best=0
  cpu_mark p a
  for i in $(seq "$CURL_RUNS"); do
    sp=$(curl_speed "$u" "$SIZE_LARGE"); best=$(calc "print ($sp > $best ? $sp : $best)")
  done
  cpu_since p a
  R[$b.get_large]=$(calc "printf \"%.1f\", $best / 1e6")
  R[$b.get_large_rss]=$(peak_rss a)
  record_cpu "$b.get_large" "$b"
  stop_arca a

  log "[$b] GetPackageVersionAsset $SMALL_H, wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION"
  start_arca a "$b"
  check_small a
  u=$(bc_node a presign -version 1.0.0-small -asset small.bin)
  f="$TMP/wrk.$b.get"
  wrk_start "$f.warm" "$u" "$WRK_THREADS" "$WRK_CONNS" 1s; wait_bg || true
  cpu_mark p a
  wrk_start "$f" "$u" "$WRK_THREADS" "$WRK_CONNS" "$DURATION"; wait_bg || { cat "$f" >&2; die "wrk failed"; }
  cpu_since p a
  [ "$(wrk_field "$f" non2xx)" = 0 ] && [ "$(wrk_field "$f" errors)" = 0 ] || { cat "$f" >&2; die "wrk saw errors or non-2xx answers ($b)"; }
  R[$b.get_small]=$(wrk_field "$f" rps)
  R[$b.get_small_rss]=$(peak_rss a)
  record_cpu "$b.get_small" "$b"
  stop_arca a

  log "[$b] PublishPackageVersion $SMALL_H, $PUBLISH_CONC workers for $PUBLISH_DURATION"
  start_arca a "$b"
  cpu_mark p a
  out=$(bc_node a publish-load -file "$FILES/small.bin" -asset small.bin -c "$PUBLISH_CONC" -d "$PUBLISH_DURATION")
  cpu_since p a
  [ "$(kv errors "$out")" = 0 ] || die "publish-load had errors ($b): $out"
  R[$b.pub_small]=$(kv rate "$out")
  R[$b.pub_small_p50]=$(kv p50_ms "$out")
  R[$b.pub_small_p99]=$(kv p99_ms "$out")
  R[$b.pub_small_rss]=$(peak_rss a)
  record_cpu "$b.pub_small" "$b"
  stop_arca a
}

storage_phases fs

log "[pg] starting versitygw ($VGW) and creating a PostgreSQL schema"
start_vgw
BUCKET=arca-bench-$(rand_hex 6)
"$BENCHCTL" s3-bucket -endpoint "$S3_ENDPOINT" -access-key "$S3_ACCESS_KEY" -secret-key "$S3_SECRET_KEY" -bucket "$BUCKET"
BLOB_URL="s3://$BUCKET/bench?endpoint=$S3_ENDPOINT&region=us-east-1&path_style=true"
NEW_SCHEMA=arca_bench_$(rand_hex 8)
PG_URL=$("$BENCHCTL" pg-schema -dsn "$PG_DSN" -create "$NEW_SCHEMA")
SCHEMA=$NEW_SCHEMA
storage_phases pg

# ---------------------------------------------------------------- 2. nodes
# Same schema and bucket as the pg phases above; fresh node processes per phase.
log "[nodes] GET $SMALL_H on 1 node: wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION"
start_arca a pg
check_small a
ua=$(bc_node a presign -version 1.0.0-small -asset small.bin)
wrk_start "$TMP/wrk.n1.warm" "$ua" "$WRK_THREADS" "$WRK_CONNS" 1s; wait_bg || true
cpu_mark n a
wrk_start "$TMP/wrk.n1" "$ua" "$WRK_THREADS" "$WRK_CONNS" "$DURATION"; wait_bg || { cat "$TMP/wrk.n1" >&2; die "wrk failed"; }
cpu_since n a
R[n1.get]=$(wrk_field "$TMP/wrk.n1" rps)
R[n1.get_bad]="$(wrk_field "$TMP/wrk.n1" errors) / $(wrk_field "$TMP/wrk.n1" non2xx)"
R[n1.get_rss]=$(peak_rss a)
record_cpu n1.get pg
stop_arca a

log "[nodes] GET $SMALL_H on 2 nodes: 2 × wrk -t$WRK_THREADS_HALF -c$WRK_CONNS_A/-c$WRK_CONNS_B -d$DURATION at once"
start_arca a pg
start_arca b pg
check_small a; check_small b
# Read-after-write across nodes: published through b, read through a.
bc_node b publish -file "$FILES/small.bin" -version 1.0.0-via-b -asset small.bin >/dev/null
check_small a 1.0.0-via-b
CROSS_NODE=ok
ua=$(bc_node a presign -version 1.0.0-small -asset small.bin)
ub=$(bc_node b presign -version 1.0.0-small -asset small.bin)
wrk_start "$TMP/wrk.n2a.warm" "$ua" "$WRK_THREADS_HALF" "$WRK_CONNS_A" 1s
wrk_start "$TMP/wrk.n2b.warm" "$ub" "$WRK_THREADS_HALF" "$WRK_CONNS_B" 1s
wait_bg || true
cpu_mark n a b
wrk_start "$TMP/wrk.n2a" "$ua" "$WRK_THREADS_HALF" "$WRK_CONNS_A" "$DURATION"
wrk_start "$TMP/wrk.n2b" "$ub" "$WRK_THREADS_HALF" "$WRK_CONNS_B" "$DURATION"
wait_bg || { cat "$TMP/wrk.n2a" "$TMP/wrk.n2b" >&2; die "wrk failed"; }
cpu_since n a b
R[n2.get]=$(calc "printf \"%.2f\", $(wrk_field "$TMP/wrk.n2a" rps) + $(wrk_field "$TMP/wrk.n2b" rps)")
R[n2.get_split]="$(wrk_field "$TMP/wrk.n2a" rps) + $(wrk_field "$TMP/wrk.n2b" rps)"
R[n2.get_bad]="$(($(wrk_field "$TMP/wrk.n2a" errors) + $(wrk_field "$TMP/wrk.n2b" errors))) / $(($(wrk_field "$TMP/wrk.n2a" non2xx) + $(wrk_field "$TMP/wrk.n2b" non2xx)))"
R[n2.get_rss]=$(peak_rss a b)
record_cpu n2.get pg
stop_arca a b

log "[nodes] PUBLISH $SMALL_H on 1 node: $PUBLISH_CONC workers for $PUBLISH_DURATION"
start_arca a pg
cpu_mark n a
out=$(bc_node a publish-load -file "$FILES/small.bin" -asset small.bin -c "$PUBLISH_CONC" -d "$PUBLISH_DURATION" 2>"$TMP/pub.n1.err") ||
  { cat "$TMP/pub.n1.err" >&2; die "publish-load failed"; }
cpu_since n a
R[n1.pub]=$(kv rate "$out")
R[n1.pub_lat]="$(kv p50_ms "$out")/$(kv p99_ms "$out")"
R[n1.pub_bad]=$(kv errors "$out")
R[n1.pub_rss]=$(peak_rss a)
record_cpu n1.pub pg
stop_arca a

log "[nodes] PUBLISH $SMALL_H on 2 nodes: $PUB_CONC_A + $PUB_CONC_B workers for $PUBLISH_DURATION at once"
start_arca a pg
start_arca b pg
cpu_mark n a b
bc_node a publish-load -file "$FILES/small.bin" -asset small.bin -c "$PUB_CONC_A" -d "$PUBLISH_DURATION" >"$TMP/pub.n2a" 2>"$TMP/pub.n2a.err" &
BG_PIDS+=($!)
bc_node b publish-load -file "$FILES/small.bin" -asset small.bin -c "$PUB_CONC_B" -d "$PUBLISH_DURATION" >"$TMP/pub.n2b" 2>"$TMP/pub.n2b.err" &
BG_PIDS+=($!)
wait_bg || { cat "$TMP/pub.n2a.err" "$TMP/pub.n2b.err" >&2; die "publish-load failed"; }
cpu_since n a b
oa=$(cat "$TMP/pub.n2a"); ob=$(cat "$TMP/pub.n2b")
R[n2.pub]=$(calc "printf \"%.1f\", $(kv rate "$oa") + $(kv rate "$ob")")
R[n2.pub_split]="$(kv rate "$oa") + $(kv rate "$ob")"
R[n2.pub_lat]="$(kv p50_ms "$oa")/$(kv p99_ms "$oa"), $(kv p50_ms "$ob")/$(kv p99_ms "$ob")"
R[n2.pub_bad]=$(($(kv errors "$oa") + $(kv errors "$ob")))
R[n2.pub_rss]=$(peak_rss a b)
record_cpu n2.pub pg
stop_arca a b
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
row() {  # row LABEL KEY: a storage row, SQLite+fs, PG+S3 and the ratio
  echo "$1|${R[fs.$2]}|${R[pg.$2]}|$(ratio "${R[pg.$2]%% *}" "${R[fs.$2]%% *}")"
}
cpurow() {  # cpurow LABEL KEY: the CPU row of a phase (ratio of the totals)
  echo "$1|${R[fs.$2_cpu]}|${R[pg.$2_cpu]}|$(ratio "${R[pg.$2_cput]}" "${R[fs.$2_cput]}")"
}
nrow() {  # nrow LABEL KEY: a nodes row, 1 node, 2 nodes and the ratio
  echo "$1|${R[n1.$2]}|${R[n2.$2]}|$(ratio "${R[n2.$2]%% *}" "${R[n1.$2]%% *}")"
}
BAD=0
for k in n1.get_bad n2.get_bad n1.pub_bad n2.pub_bad; do
  [ "$(echo "${R[$k]}" | tr -cd '1-9')" = "" ] || BAD=1
done
CHECK=$([ $BAD = 0 ] && echo "0 errors, 0 non-2xx on every node" || echo "ERRORS (see the rows above)")

LARGE_NOTE=""
[ "$SIZE_LARGE" = 1073741824 ] || LARGE_NOTE=" (run.sh's targets are for 1 GiB)"
STORAGE_ROWS=(
  "measurement|SQLite+fs|PG+S3|PG+S3 / SQLite+fs"
  "$(row "PUBLISH $LARGE_H, MB/s (SDK, streamed)" pub_large)"
  "$(row "PUBLISH $SMALL_H, publishes/s ($PUBLISH_CONC workers, 0 errors)" pub_small)"
  "$(row "PUBLISH $SMALL_H, p50 ms" pub_small_p50)"
  "$(row "PUBLISH $SMALL_H, p99 ms" pub_small_p99)"
  "$(row "GET $SMALL_H, requests/s (wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, 0 errors/non-2xx)" get_small)"
  "$(row "GET $LARGE_H, MB/s (curl, best of $CURL_RUNS)" get_large)"
  "$(row "arca peak RSS MiB, PUBLISH $LARGE_H$LARGE_NOTE" pub_large_rss)"
  "$(row "arca peak RSS MiB, GET $LARGE_H ×$CURL_RUNS$LARGE_NOTE" get_large_rss)"
  "$(row "arca peak RSS MiB, GET $SMALL_H load" get_small_rss)"
  "$(row "arca peak RSS MiB, PUBLISH $SMALL_H load" pub_small_rss)"
  "$(cpurow "CPU-s, PUBLISH $LARGE_H" pub_large)"
  "$(cpurow "CPU-s, GET $LARGE_H ×$CURL_RUNS" get_large)"
  "$(cpurow "CPU-s, GET $SMALL_H load" get_small)"
  "$(cpurow "CPU-s, PUBLISH $SMALL_H load" pub_small)"
)
NODE_ROWS=(
  "measurement (PG+S3)|1 node|2 nodes|2 nodes / 1 node"
  "$(nrow "GET $SMALL_H, requests/s (1: wrk -t$WRK_THREADS -c$WRK_CONNS; 2: ${R[n2.get_split]} from 2 × wrk -t$WRK_THREADS_HALF -c$WRK_CONNS_A)" get)"
  "$(nrow "GET $SMALL_H, socket errors / non-2xx" get_bad)"
  "$(nrow "GET $SMALL_H, arca peak RSS MiB (sum over nodes)" get_rss)"
  "$(nrow "GET $SMALL_H, CPU-s" get_cpu | sed "s/|[^|]*$/|$(ratio "${R[n2.get_cput]}" "${R[n1.get_cput]}")/")"
  "$(nrow "PUBLISH $SMALL_H, publishes/s (1: $PUBLISH_CONC workers; 2: ${R[n2.pub_split]} from $PUB_CONC_A + $PUB_CONC_B)" pub)"
  "$(nrow "PUBLISH $SMALL_H, p50/p99 ms (per node)" pub_lat | sed 's/|[^|]*$/|–/')"
  "$(nrow "PUBLISH $SMALL_H, errors" pub_bad)"
  "$(nrow "PUBLISH $SMALL_H, arca peak RSS MiB (sum over nodes)" pub_rss)"
  "$(nrow "PUBLISH $SMALL_H, CPU-s" pub_cpu | sed "s/|[^|]*$/|$(ratio "${R[n2.pub_cput]}" "${R[n1.pub_cput]}")/")"
)
# Rows whose figures are both 0 have no ratio.
for i in "${!NODE_ROWS[@]}"; do NODE_ROWS[$i]=${NODE_ROWS[$i]/%|n\/a/|–}; done

# The two rows of issue 18 this script owns, one line each, for bench/all.sh
# and people alike (format in bench/README.md):
#   issue18 NAME ratio=R pg=X fs=Y target=T ok|below
issue18() {  # issue18 NAME KEY
  local r; r=$(ratio "${R[pg.$2]}" "${R[fs.$2]}")
  echo "issue18 $1 ratio=$r pg=${R[pg.$2]} fs=${R[fs.$2]} target=0.5 $(awk -v r="$r" 'BEGIN { print (r + 0 >= 0.5 ? "ok" : "below") }')"
}
ISSUE18=(
  "$(issue18 pg_s3_get_4k get_small)"
  "$(issue18 pg_s3_publish_4k pub_small)"
)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- cmd internal 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes)"
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
NOTE_CORES="client (wrk, SDK), both arca nodes, PostgreSQL and versitygw all share these $(nproc) CPUs, so a second node cannot add capacity here: the nodes table shows that two nodes serve the same load correctly and what the second process costs, not a speed-up"
table() {  # table ROWS... as markdown
  local first=1 r
  for r in "$@"; do
    echo "| ${r//|/ | } |"
    if [ $first = 1 ]; then echo "|---|--:|--:|--:|"; first=0; fi
  done
}
{
  echo "# arca storage backends and nodes"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), arca commit $COMMIT, $(go version | cut -d' ' -f3)"
  echo "- machine: $(nproc) CPUs ($CPU_MODEL); $NOTE_CORES"
  echo "- load average (1/5/15 min): $LOAD_START when the script started, $LOAD_END at the end"
  echo "- command: \`SIZE_LARGE=$SIZE_LARGE DURATION=$DURATION PUBLISH_CONC=$PUBLISH_CONC bash bench/cluster.sh\`; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), versitygw $(go version -m "$VGW" 2>/dev/null | awk '$1 == "mod" { print $3 }') (posix, keep-alive $([ "$S3_KEEP_ALIVE" = 1 ] && echo on || echo off)), PostgreSQL at ${PG_DSN%%\?*}"
  echo "- every phase runs a fresh arca process (peak RSS = its VmHWM); CPU-s = CPU seconds used during the phase by arca, PostgreSQL (all its processes) and versitygw; MB = 10^6 bytes"
  echo
  echo "## SQLite + filesystem vs PostgreSQL + S3 (one node)"
  echo
  table "${STORAGE_ROWS[@]}"
  echo
  echo "## One node vs two nodes (PostgreSQL + S3, same total load)"
  echo
  table "${NODE_ROWS[@]}"
  echo
  echo "Read-after-write across nodes (published through node b, read through node a): $CROSS_NODE. Load check: $CHECK."
  echo
  echo "## Issue 18 rows (PG+S3 / SQLite+fs, same run)"
  echo
  echo "| row | PG+S3 | SQLite+fs | ratio | target |"
  echo "|---|--:|--:|--:|--:|"
  for l in "${ISSUE18[@]}"; do
    set -- $l
    echo "| $2 | ${4#pg=} | ${5#fs=} | ${3#ratio=} | ≥ ${6#target=}× ($7) |"
  done
} >"$TMP/cluster-latest.md"

show() {
  if command -v column >/dev/null; then printf '%s\n' "$@" | column -t -s '|'
  else printf '%s\n' "$@" | tr '|' '\t'; fi
}
echo
show "${STORAGE_ROWS[@]}"
echo
show "${NODE_ROWS[@]}"
echo
printf '%s\n' "${ISSUE18[@]}"
echo "cross-node read-after-write: $CROSS_NODE; load check: $CHECK"
echo "note: $NOTE_CORES"
echo "load average: $LOAD_START when the script started, $LOAD_END at the end"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/cluster-latest.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
[ $BAD = 0 ] || die "errors or non-2xx answers under the nodes load (see the table)"
