#!/usr/bin/env bash
# Measures what package groups cost arca's hot paths: one arca, two domains
# with the same repository and packages, one with only the root group /*
# and one with GROUPS_N (1,000) groups, among them a chain of groups down to
# the measured packages (so every check walks a deep tree). For each of npm
# packument GETs, tarball GETs, npm publishes and PublishPackageVersion
# calls it runs the two domains alternately ROUNDS times and compares the
# medians. Target: every ratio (with groups / without) ≥ 0.95. See
# bench/README.md.
#
#   bash bench/groups.sh
#   DURATION=3s ROUNDS=2 bash bench/groups.sh     # quick run
#
# wrk is not installed by this script (apt-get install wrk). Everything
# listens on 127.0.0.1 only; every process and temp file this script starts
# or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-5s}          # each wrk and publish-load run
ROUNDS=${ROUNDS:-3}               # alternations of the two domains per measure
GROUPS_N=${GROUPS_N:-1000}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
PUBLISH_CONC=${PUBLISH_CONC:-8}   # concurrent PublishPackageVersion callers
NPM_PUBLISHES=${NPM_PUBLISHES:-40} # npm publishes per round and domain (one client)
VERSIONS=${VERSIONS:-30}
TARBALL_SIZE=${TARBALL_SIZE:-16384}
PKG=bench-pkg
RESULTS=${RESULTS:-$ROOT/bench/results/groups.md}

. bench/lib.sh

command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk"

for v in $(compgen -e | grep '^ARCA_' || true); do unset "$v"; done
export ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHKEY00000001
export ARCA_ROOT_SECRET_ACCESS_KEY=bench/secret/key/0123456789abcdefghijklm
export ARCA_REGION=us-east-1
export ARCA_LOG_LEVEL=info
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true

TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-groups-bench.XXXXXX")
ARCA_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$ARCA_PID" ]; then kill -TERM "$ARCA_PID" 2>/dev/null && wait "$ARCA_PID" 2>/dev/null; fi
  [ "$rc" = 0 ] || { tail -20 "$TMP"/*.log >&2 2>/dev/null; }
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- two domains
# "bench" keeps only the root group; "benchg" gets the groups.
start_arca_for npm-token registry
declare -A REG TOKEN
REG[plain]=$ARCA_URL TOKEN[plain]=$ARCA_TOKEN
"$BENCHCTL" setup -domain benchg
out=$("$BENCHCTL" npm-token -domain benchg)
TOKEN[groups]=$(kv token "$out") REG[groups]=$(kv registry "$out")
declare -A DOM=([plain]=bench [groups]=benchg)

log "creating $GROUPS_N package groups in benchg"
out=$("$BENCHCTL" groups -domain benchg -n "$GROUPS_N" -npm "$PKG")
log "$out"
GROUPS_SECONDS=$(kv seconds "$out")
[ "$(kv npm_group "$out") $(kv npm_association "$out")" = "/npm//$PKG\$ STRONG" ] || die "$PKG is not in its exact group: $out"
[ "$(kv generic_association "$out")" = STRONG ] || die "the generic package is not strongly associated: $out"

SEED=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
for d in plain groups; do
  log "publishing $VERSIONS versions of $PKG to ${DOM[$d]}"
  "$BENCHCTL" npm-seed -registry "${REG[$d]}" -token "${TOKEN[$d]}" -name $PKG -versions "$VERSIONS" -size "$TARBALL_SIZE" -seed "$SEED" >/dev/null
done
LAST=1.$((VERSIONS - 1)).0
TARBALL="$PKG/-/$PKG-$LAST.tgz"
head -c 4096 /dev/urandom >"$TMP/asset.bin"

ABBREV='Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
wrk_rps() {  # wrk_rps TOKEN URL HEADER -> requests/s; dies on non-2xx answers
  local out try
  for try in 1 2; do
    wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s -H "Authorization: Bearer $1" -H "$3" "$2" >/dev/null 2>&1 || true
    out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$DURATION" -H "Authorization: Bearer $1" -H "$3" "$2") || die "wrk failed: $out"
    grep -q 'Non-2xx' <<<"$out" && { printf '%s\n' "$out" >&2; die "wrk saw error answers from $2"; }
    # Socket errors without error answers come from the machine (ports,
    # other load on a shared box): run once more before giving up.
    grep -q 'Socket errors' <<<"$out" || break
    [ "$try" = 1 ] || { printf '%s\n' "$out" >&2; die "wrk saw socket errors from $2 twice"; }
    log "wrk saw socket errors from $2; running it again"
    sleep 2
  done
  awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}
npm_rate() {  # npm_rate SIDE ROUND -> npm publishes/s of one client (a new package each round)
  local t0 t1
  t0=$(date +%s.%N)
  "$BENCHCTL" npm-seed -registry "${REG[$1]}" -token "${TOKEN[$1]}" -name "$PKG-pub$2" -versions "$NPM_PUBLISHES" -size 4096 >/dev/null
  t1=$(date +%s.%N)
  awk -v n="$NPM_PUBLISHES" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
}
ppv_rate() {  # ppv_rate SIDE -> PublishPackageVersion/s with PUBLISH_CONC callers
  local out
  out=$("$BENCHCTL" publish-load -domain "${DOM[$1]}" -file "$TMP/asset.bin" -c "$PUBLISH_CONC" -d "$DURATION")
  [ "$(kv errors "$out")" = 0 ] || die "publish-load in ${DOM[$1]}: $out"
  kv rate "$out"
}

declare -A S   # S[measure_side] = space-separated samples
for r in $(seq "$ROUNDS"); do
  # Alternate which domain goes first, so that neither always runs warmer.
  if [ $((r % 2)) = 1 ]; then order="plain groups"; else order="groups plain"; fi
  for side in $order; do
    log "round $r/$ROUNDS: ${DOM[$side]}"
    S[abbrev_$side]+="$(wrk_rps "${TOKEN[$side]}" "${REG[$side]}$PKG" "$ABBREV") "
    S[tarball_$side]+="$(wrk_rps "${TOKEN[$side]}" "${REG[$side]}$TARBALL" 'Accept: */*') "
    S[npm_$side]+="$(npm_rate "$side" "$r") "
    S[ppv_$side]+="$(ppv_rate "$side") "
  done
done

{
  echo "# Package groups: $GROUPS_N groups against none"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load at start of the report $(cut -d' ' -f1-3 /proc/loadavg);"
  echo "one arca (SQLite), domain \`bench\` with only \`/*\`, domain \`benchg\` with $GROUPS_N groups (created in ${GROUPS_SECONDS}s)"
  echo "including \`/npm/*\` › \`/npm//*\` › \`/npm//bench~\` › \`/npm//$PKG\$\` above the measured package;"
  echo "$ROUNDS alternating rounds; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION; medians."
  echo
  echo "| measure | without groups | with $GROUPS_N groups | ratio (target ≥ 0.95) | samples without / with |"
  echo "|---|---:|---:|---:|---|"
  row() {  # row LABEL KEY
    local a b
    a=$(median ${S[$2_plain]}) b=$(median ${S[$2_groups]})
    echo "| $1 | $a | $b | $(ratio "$b" "$a") | ${S[$2_plain]% }/ ${S[$2_groups]% } |"
  }
  row "npm packument GET, abbreviated (req/s)" abbrev
  row "npm tarball GET (req/s)" tarball
  row "npm publish, one client (publishes/s)" npm
  row "PublishPackageVersion 4 KiB, $PUBLISH_CONC callers (publishes/s)" ppv
} >"$TMP/groups.md"
cat "$TMP/groups.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/groups.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
