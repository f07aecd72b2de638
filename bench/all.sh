#!/usr/bin/env bash
# Runs every row of issue 18's table beside its baseline in one run, prints
# the table and writes it to bench/results/all-<UTC time>.md (and
# bench/results/all-latest.md). See bench/README.md ("all.sh").
#
#   bash bench/all.sh                          # full run (~4 min + cluster.sh)
#   ROUNDS=1 CLUSTER=0 DURATION=2s bash bench/all.sh   # smoke run
#   CLUSTER=0 DURATION=3s bash bench/all.sh    # quick, single-node rows only
#   BASE_REF=main~5 bash bench/all.sh          # publishes/s also for that commit
#
# Single-node rows: arca on SQLite + its data directory against nginx
# serving the very bytes arca serves, as a file (wrk -t2 -c32, nginx first,
# then arca): a 4 KiB asset through a presigned GetPackageVersionAsset URL,
# an npm abbreviated packument (30 versions) and a 16 KiB tarball, a PyPI
# simple page (PEP 691 JSON, 30 versions) and a Maven maven-metadata.xml
# (30 versions); 4 KiB publishes/s on SQLite against the issue's 445/s (or,
# with BASE_REF, against that commit built and measured in the same run).
# Cluster rows: bench/cluster.sh's storage table (PostgreSQL + S3 against
# SQLite + directory), run after the single-node rows unless CLUSTER=0.
#
# Everything listens on 127.0.0.1 only; every process and temp file this
# script starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}                 # alternating rounds per row (nginx/arca; publishes: this tree/BASE_REF); medians count
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
PUBLISH_CONC=${PUBLISH_CONC:-8}
PUBLISH_DURATION=${PUBLISH_DURATION:-10s}   # as bench/run.sh measured the issue's 445/s
VERSIONS=${VERSIONS:-30}
CLUSTER=${CLUSTER:-1}
BASE_REF=${BASE_REF:-}
BASE_PUBLISH_RATE=445   # issue 18's measured 4 KiB publishes/s on SQLite
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results}
BENCH_NAME=bench/all.sh

. bench/lib.sh

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
bench_begin all

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] && command -v wrk >/dev/null && command -v curl >/dev/null ||
  die "needs nginx, wrk and curl: apt-get install -y nginx-light wrk curl"

# ---------------------------------------------------------------- arca
start_arca_for npm-token registry      # builds arca + benchctl, domain and repository
NPM_REG=$ARCA_URL
BEARER="Authorization: Bearer $ARCA_TOKEN"
BASIC="Authorization: Basic $(printf 'aws:%s' "$ARCA_TOKEN" | base64 -w0)"
PYPI_REPO=$("$BENCHCTL" pypi-token | sed -n 's/.*repository=\([^ ]*\).*/\1/p')
MAVEN_REPO=$("$BENCHCTL" maven-token | sed -n 's/.*repository=\([^ ]*\).*/\1/p')
[ -n "$PYPI_REPO" ] && [ -n "$MAVEN_REPO" ] || die "no PyPI or Maven endpoint from arca"

# ---------------------------------------------------------------- content
WWW=$TMP/www
mkdir -p "$WWW/maven"
SEED=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
log "publishing: a 4 KiB generic asset, $VERSIONS npm versions (16 KiB tarballs), $VERSIONS PyPI wheels, $VERSIONS Maven versions"
head -c 4096 /dev/urandom >"$WWW/small.bin"
"$BENCHCTL" publish -file "$WWW/small.bin" -version 1.0.0-small -asset small.bin >/dev/null
ASSET_URL=$("$BENCHCTL" presign -version 1.0.0-small -asset small.bin)
"$BENCHCTL" npm-seed -registry "$NPM_REG" -token "$ARCA_TOKEN" -name bench-pkg -versions "$VERSIONS" -size 16384 -seed "$SEED" >/dev/null
"$BENCHCTL" pypi-seed -repository "$PYPI_REPO" -token "$ARCA_TOKEN" -name bench-pkg -versions "$VERSIONS" >/dev/null
"$BENCHCTL" maven-seed -repository "$MAVEN_REPO" -token "$ARCA_TOKEN" -dir "$WWW/maven" -group org.example.bench -artifact bench-lib \
  -versions "$VERSIONS" -size 16384 -seed "$SEED" >/dev/null

ABBREV='Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
PEP691='Accept: application/vnd.pypi.simple.v1+json'
TARBALL=bench-pkg/-/bench-pkg-1.$((VERSIONS - 1)).0.tgz
MAVEN_META=org/example/bench/bench-lib/maven-metadata.xml
# name|arca URL|auth header|accept header|file for nginx
ROWS_SPEC=(
  "asset|$ASSET_URL|X-No-Token: 1|Accept: */*|small.bin"
  "packument|${NPM_REG}bench-pkg|$BEARER|$ABBREV|packument.json"
  "tarball|${NPM_REG}$TARBALL|$BEARER|Accept: */*|tarball.tgz"
  "simple|${PYPI_REPO}simple/bench-pkg/|$BASIC|$PEP691|simple.json"
  "maven|${MAVEN_REPO}$MAVEN_META|$BASIC|Accept: */*|maven-metadata.xml"
)
# nginx serves exactly the bytes arca answers (no Accept-Encoding: identity).
for spec in "${ROWS_SPEC[@]}"; do
  IFS='|' read -r name url auth accept file <<<"$spec"
  [ "$name" = asset ] && continue
  curl -sf -H "$auth" -H "$accept" -o "$WWW/$file" "$url" || die "GET $name from arca failed"
done
cmp -s <(curl -sf "$ASSET_URL") "$WWW/small.bin" || die "arca's 4 KiB asset differs from the file"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["versions"]))' "$WWW/packument.json")
[ "$n" = "$VERSIONS" ] || die "the packument lists $n versions, want $VERSIONS"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["files"]))' "$WWW/simple.json")
[ "$n" = "$VERSIONS" ] || die "the simple page lists $n files, want $VERSIONS"
[ "$(stat -c %s "$WWW/tarball.tgz")" -gt 16384 ] || die "the tarball is smaller than its 16 KiB payload"
grep -q "<version>1.$((VERSIONS - 1))</version>" "$WWW/maven-metadata.xml" || die "maven-metadata.xml lacks the last version"

# ---------------------------------------------------------------- nginx
start_nginx 'default_type application/octet-stream;'

# ---------------------------------------------------------------- measuring
# wrk2 URL HEADER HEADER -> requests/s; dies on errors. A 30 s timeout: a
# loaded machine stalls a request past wrk's default 2 s (counted as a socket
# error) without anything being wrong.
wrk2() {
  local out
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s --timeout 30s -H "$2" -H "$3" "$1" >/dev/null 2>&1 || true
  out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$DURATION" --timeout 30s -H "$2" -H "$3" "$1") || die "wrk failed: $out"
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then printf '%s\n' "$out" >&2; die "wrk saw errors from ${1%%\?*}"; fi
  out=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  awk -v r="$out" 'BEGIN { exit !(r > 0) }' || die "no request to ${1%%\?*} completed"
  printf '%s\n' "$out"
}
# ROUNDS rounds, nginx and arca alternating within each, so that both see
# the same background load; each side's median counts.
declare -A A N B AS NS
for round in $(seq "$ROUNDS"); do
  for spec in "${ROWS_SPEC[@]}"; do
    IFS='|' read -r name url auth accept file <<<"$spec"
    B[$name]=$(stat -c %s "$WWW/$file")
    log "round $round/$ROUNDS, $name (${B[$name]} bytes): nginx, then arca"
    NS[$name]="${NS[$name]:-} $(wrk2 "$NGINX_URL/$file" "X-No-Token: 1" "$accept")"
    AS[$name]="${AS[$name]:-} $(wrk2 "$url" "$auth" "$accept")"
  done
done
for name in "${!B[@]}"; do
  # shellcheck disable=SC2086 # the lists are space-separated numbers
  N[$name]=$(median ${NS[$name]})
  # shellcheck disable=SC2086
  A[$name]=$(median ${AS[$name]})
done

kill -TERM "$ARCA_PID"; wait "$ARCA_PID" || true; ARCA_PID=""

# Publishes: every round starts each side afresh (a new process on a new
# data directory), this tree first, then BASE_REF's build; the medians
# count, as for the rows above, so a drift of the machine's speed during
# the run hits both sides alike.
BASE_LABEL="issue 18's figure"
BASE_RATE=$BASE_PUBLISH_RATE
if [ -n "$BASE_REF" ]; then
  log "building $BASE_REF for the publish baseline"
  mkdir -p "$TMP/base"
  git archive "$BASE_REF" | tar -x -C "$TMP/base"
  (cd "$TMP/base" && go build -o "$TMP/arca-base" ./cmd/arca)
  BASE_LABEL="$BASE_REF ($(git rev-parse --short "$BASE_REF")), same run"
fi
publish_round() {  # publish_round BINARY NAME -> publishes/s
  local out
  ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/data-$2" "$1" serve 2>"$TMP/arca-$2.log" &
  ARCA_PID=$!
  ARCA_ENDPOINT=$(arca_address "$TMP/arca-$2.log" "$ARCA_PID")
  "$BENCHCTL" setup >/dev/null
  out=$("$BENCHCTL" publish-load -file "$WWW/small.bin" -asset small.bin -c "$PUBLISH_CONC" -d "$PUBLISH_DURATION")
  [ "$(kv errors "$out")" = 0 ] || die "publish-load on $2 had errors: $out"
  kill -TERM "$ARCA_PID"; wait "$ARCA_PID" || true; ARCA_PID=""
  kv rate "$out"
}
PUB_RATES=() BASE_RATES=()
for r in $(seq "$ROUNDS"); do
  log "round $r/$ROUNDS, PUBLISH 4 KiB: $PUBLISH_CONC workers for $PUBLISH_DURATION${BASE_REF:+, this tree then $BASE_REF}"
  PUB_RATES+=("$(publish_round "$TMP/arca" "pub-$r")")
  [ -z "$BASE_REF" ] || BASE_RATES+=("$(publish_round "$TMP/arca-base" "base-$r")")
done
PUB_RATE=$(median "${PUB_RATES[@]}")
[ -z "$BASE_REF" ] || BASE_RATE=$(median "${BASE_RATES[@]}")

# ---------------------------------------------------------------- cluster rows
CLUSTER_ROWS=()
CLUSTER_NOTE="not run (CLUSTER=0)"
if [ "$CLUSTER" != 0 ]; then
  log "bench/cluster.sh (PostgreSQL + S3 against SQLite + directory)"
  if DURATION=$DURATION RESULTS=$TMP/cluster.md bash bench/cluster.sh >"$TMP/cluster.out" 2>&1; then
    CLUSTER_NOTE="bench/cluster.sh, same run (its full table: the cluster section below)"
  else
    CLUSTER_NOTE="bench/cluster.sh FAILED (its last lines are below)"
  fi
  # Its two rows, one stdout line each (bench/README.md, cluster.sh):
  #   issue18 NAME ratio=R pg=X fs=Y target=T ok|below
  crow() {  # crow NAME -> "fs|pg|ratio"
    local l; l=$(grep -m1 "^issue18 $1 " "$TMP/cluster.out" || true)
    [ -n "$l" ] || { echo "n/a|n/a|n/a"; return; }
    echo "$(kv fs "$l")|$(kv pg "$l")|$(kv ratio "$l")"
  }
  IFS='|' read -r gs gp gr <<<"$(crow pg_s3_get_4k)"
  IFS='|' read -r ps pp pr <<<"$(crow pg_s3_publish_4k)"
  CLUSTER_ROWS=(
    "PostgreSQL + S3 4 KiB GET vs SQLite + directory, req/s|–|$gp|$gs|$gr|≥ 0.5×|$(target "${gr/n\/a/0}" '>=' 0.5)"
    "PostgreSQL + S3 4 KiB publishes/s vs SQLite + directory|–|$pp|$ps|$pr|≥ 0.5×|$(target "${pr/n\/a/0}" '>=' 0.5)"
  )
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
row() {  # row NAME LABEL
  local r; r=$(ratio "${A[$1]}" "${N[$1]}")
  echo "$2|${B[$1]}|${A[$1]}|${N[$1]}|$r|≥ 0.5×|$(target "$r" '>=' 0.5)"
}
PUB_R=$(ratio "$PUB_RATE" "$BASE_RATE")
TABLE=(
  "path|bytes|arca|baseline|ratio|target|result"
  "$(row asset "4 KiB presigned GetPackageVersionAsset vs nginx, same file, req/s")"
  "$(row packument "npm abbreviated packument ($VERSIONS versions) vs nginx, same bytes, req/s")"
  "$(row tarball "npm tarball 16 KiB vs nginx, same file, req/s")"
  "$(row simple "PyPI simple page, PEP 691 JSON ($VERSIONS files) vs nginx, same bytes, req/s")"
  "$(row maven "Maven maven-metadata.xml ($VERSIONS versions) vs nginx, same bytes, req/s")"
  "4 KiB publishes/s, SQLite, fsync before the answer ($PUBLISH_CONC workers) vs $BASE_LABEL|4096|$PUB_RATE|$BASE_RATE|$PUB_R|≥ 2×|$(target "$PUB_R" '>=' 2)"
  "${CLUSTER_ROWS[@]}"
)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- cmd internal 2>/dev/null || COMMIT="$COMMIT (with uncommitted changes)"
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
OUT=$TMP/all.md
{
  echo "# arca: issue 18's table in one run"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), arca commit $COMMIT, $(go version | cut -d' ' -f3)"
  echo "- machine: $(nproc) CPUs ($CPU_MODEL), shared by wrk, arca and nginx; load average $LOAD_START at the start, $LOAD_END at the end"
  echo "- command: \`DURATION=$DURATION ROUNDS=$ROUNDS CLUSTER=$CLUSTER PUBLISH_DURATION=$PUBLISH_DURATION${BASE_REF:+ BASE_REF=$BASE_REF} bash bench/all.sh\`; publish-load $PUBLISH_CONC workers for $PUBLISH_DURATION per round and side, $ROUNDS rounds, each on a fresh process and data directory; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, $ROUNDS rounds alternating nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') (2 workers, sendfile) and arca (its token / presigned URL); req/s are each side's median"
  echo "- every round's req/s (nginx; arca): $(for n in asset packument tarball simple maven; do printf '%s %s; %s. ' "$n" "$(echo ${NS[$n]} | tr ' ' ,)" "$(echo ${AS[$n]} | tr ' ' ,)"; done)"
  echo "- every round's publishes/s (this tree${BASE_REF:+; $BASE_REF}): $(echo "${PUB_RATES[@]}" | tr ' ' ,)${BASE_REF:+; $(echo "${BASE_RATES[@]}" | tr ' ' ,)}"
  echo "- cluster rows: $CLUSTER_NOTE"
  echo
  first=1
  for r in "${TABLE[@]}"; do
    echo "| ${r//|/ | } |"
    if [ $first = 1 ]; then echo "|---|--:|--:|--:|--:|---|---|"; first=0; fi
  done
  if [ "$CLUSTER" != 0 ]; then
    echo
    echo "## bench/cluster.sh"
    echo
    if [ -s "$TMP/cluster.md" ]; then sed 's/^## /#### /; s/^# /### /' "$TMP/cluster.md"; else echo '```'; tail -30 "$TMP/cluster.out"; echo '```'; fi
  fi
} >"$OUT"

echo
if command -v column >/dev/null; then printf '%s\n' "${TABLE[@]}" | column -t -s '|'
else printf '%s\n' "${TABLE[@]}" | tr '|' '\t'; fi
echo
echo "load average: $LOAD_START at the start, $LOAD_END at the end"
mkdir -p "$RESULTS_DIR"
cp "$OUT" "$RESULTS_DIR/all-$STAMP.md"
cp "$OUT" "$RESULTS_DIR/all-latest.md"
echo "written to ${RESULTS_DIR#"$ROOT"/}/all-$STAMP.md (and all-latest.md)"
