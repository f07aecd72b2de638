#!/usr/bin/env bash
# Measures arca's Cargo endpoint against nginx serving the same files from
# disk as a static sparse registry, on the same machine in the same run:
# requests/s of a crate's index file (a crate with 100 versions) and of a
# real .crate download (serde_json), and the wall time of `cargo fetch` of a
# real tree (serde_json with itoa, ryu and serde, Debian's crate sources)
# into an empty CARGO_HOME. See bench/README.md.
#
#   bash bench/cargo.sh
#   DURATION=3s FETCH_RUNS=1 VERSIONS=20 bash bench/cargo.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# cargo, librust-serde-json-dev). Everything listens on 127.0.0.1 only;
# every process and temp file it starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
VERSIONS=${VERSIONS:-100}   # versions of the crate whose index file wrk reads
FETCH_RUNS=${FETCH_RUNS:-3}
RESULTS=${RESULTS:-$ROOT/bench/results/cargo.md}
CRATES=/usr/share/cargo/registry   # Debian's librust-*-dev crate sources
TREE="itoa-1.0.1 ryu-1.0.2 serde-1.0.152 serde_json-1.0.87"
KEEP=" itoa ryu serde serde_json "

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tools
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
CARGO=$(command -v cargo || true)
[ -n "$CARGO" ] || { [ -x "$HOME/.cargo/bin/cargo" ] && CARGO=$HOME/.cargo/bin/cargo; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v curl >/dev/null || missing="$missing curl"
[ -n "$CARGO" ] || missing="$missing cargo"
for c in $TREE; do [ -f "$CRATES/$c/Cargo.toml" ] || { missing="$missing librust-serde-json-dev"; break; }; done
[ -z "$missing" ] || die "missing:$missing (apt-get install -y$missing)"

bench_begin cargo
for v in $(compgen -e | grep '^CARGO_' || true); do unset "$v"; done


# ---------------------------------------------------------------- arca
# The token is the domain's; the cargo endpoint is the Maven one's sibling.
start_arca_for maven-token repository
ARCA_REG=${ARCA_URL/\/maven\/d\//\/cargo\/d\/}
AUTH="Authorization: $ARCA_TOKEN"

# ---------------------------------------------------------------- nginx
WWW="$TMP/www"
mkdir -p "$WWW"
start_nginx 'types { application/json json; }
  default_type application/octet-stream;
  etag on;'
NGINX_REG=$NGINX_URL/
printf '{"dl":"%sapi/v1/crates","api":"%s"}\n' "$NGINX_REG" "${NGINX_REG%/}" >"$WWW/config.json"

# ---------------------------------------------------------------- cargo
# cargo_home DIR URL: an empty CARGO_HOME whose registry "bench" is URL and
# replaces crates.io.
cargo_home() {
  mkdir -p "$1"
  cat >"$1/config.toml" <<EOF
[registries.bench]
index = "sparse+$2"
credential-provider = "cargo:token"

[source.crates-io]
replace-with = "bench"

[net]
retry = 0
EOF
}
bench_cargo() {  # bench_cargo HOME DIR ARGS… (token for arca; nginx ignores it)
  local home=$1 dir=$2
  shift 2
  (cd "$dir" && env CARGO_HOME="$home" CARGO_REGISTRIES_BENCH_TOKEN="$ARCA_TOKEN" CARGO_TERM_COLOR=never \
    CARGO_TARGET_DIR="$TMP/target" "$CARGO" "$@")
}
PUB_HOME=$TMP/cargo-publish
cargo_home "$PUB_HOME" "$ARCA_REG"

# trim_manifest FILE: drop dev-dependencies and optional dependencies outside
# the tree (cargo resolves them while packaging), and feature entries naming them.
trim_manifest() {
  local dropped
  dropped=$(sed -n 's/^\[dependencies\.\([A-Za-z0-9_-]*\)\]$/\1/p' "$1" | while read -r d; do
    case "$KEEP" in *" $d "*) ;; *) echo "$d" ;; esac; done)
  awk -v dropped=" $(echo $dropped) " '
    /^\[/ { skip = ($0 ~ /dev-dependencies/); if (match($0, /^\[dependencies\.[A-Za-z0-9_-]+\]$/)) {
              d = substr($0, 15, length($0) - 15); if (index(dropped, " " d " ")) skip = 1 } }
    !skip' "$1" >"$1.new"
  for d in $dropped; do sed -i -E "s/\"(dep:)?$d(\\?)?(\\/[^\"]*)?\",?//g" "$1.new"; done
  mv "$1.new" "$1"
}

log "publishing $VERSIONS versions of bench-crate and the real tree ($TREE) with cargo"
for i in $(seq 0 $((VERSIONS - 1))); do
  d="$TMP/src/bench-crate-$i"
  mkdir -p "$d/src"
  printf '[package]\nname = "bench-crate"\nversion = "1.%d.0"\nedition = "2021"\ndescription = "bench"\nlicense = "MIT"\n\n[dependencies]\nserde = "1"\n' "$i" >"$d/Cargo.toml"
  echo "pub fn v() -> u32 { $i }" >"$d/src/lib.rs"
done
for c in $TREE; do
  cp -r "$CRATES/$c" "$TMP/src/$c"
  chmod -R u+w "$TMP/src/$c"
  trim_manifest "$TMP/src/$c/Cargo.toml"
  bench_cargo "$PUB_HOME" "$TMP/src/$c" publish -q --registry bench --no-verify --allow-dirty >"$TMP/publish.log" 2>&1 ||
    { cat "$TMP/publish.log" >&2; die "cargo publish $c failed"; }
done
for i in $(seq 0 $((VERSIONS - 1))); do
  bench_cargo "$PUB_HOME" "$TMP/src/bench-crate-$i" publish -q --registry bench --no-verify --allow-dirty >"$TMP/publish.log" 2>&1 ||
    { cat "$TMP/publish.log" >&2; die "cargo publish bench-crate 1.$i.0 failed"; }
done

# nginx serves copies of arca's index files and .crate files.
index_path() {  # index_path NAME
  local n=$1
  case ${#n} in 1) echo "1/$n" ;; 2) echo "2/$n" ;; 3) echo "3/${n:0:1}/$n" ;; *) echo "${n:0:2}/${n:2:2}/$n" ;; esac
}
copy_crate() {  # copy_crate NAME VERSION…
  local n=$1 p v
  shift
  p=$(index_path "$n")
  mkdir -p "$WWW/$(dirname "$p")"
  curl -sf -H "$AUTH" -o "$WWW/$p" "$ARCA_REG$p" || die "GET $p from arca failed"
  for v in "$@"; do
    mkdir -p "$WWW/api/v1/crates/$n/$v"
    curl -sf -H "$AUTH" -o "$WWW/api/v1/crates/$n/$v/download" "${ARCA_REG}api/v1/crates/$n/$v/download" || die "GET $n $v from arca failed"
  done
}
for c in $TREE; do copy_crate "${c%-*}" "${c##*-}"; done
copy_crate bench-crate

INDEX=$(index_path bench-crate)
CRATE=api/v1/crates/serde_json/1.0.87/download
for p in "$INDEX" "$CRATE"; do
  a=$(curl -sf -H "$AUTH" "$ARCA_REG$p" | sha256sum | cut -d' ' -f1)
  b=$(curl -sf "$NGINX_REG$p" | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || die "arca and nginx serve different bytes for $p ($a vs $b)"
done
n=$(curl -sf "$NGINX_REG$INDEX" | wc -l)
[ "$n" = "$VERSIONS" ] || die "$INDEX has $n lines, want $VERSIONS"
INDEX_BYTES=$(curl -sf "$NGINX_REG$INDEX" | wc -c)
CRATE_BYTES=$(curl -sf "$NGINX_REG$CRATE" | wc -c)

# ---------------------------------------------------------------- wrk
declare -A R
for what in index crate; do
  case $what in index) p=$INDEX ;; crate) p=$CRATE ;; esac
  log "$what: arca"
  R[arca_$what]=$(wrk_rps "$ARCA_REG$p" "$AUTH")
  log "$what: nginx"
  R[ngx_$what]=$(wrk_rps "$NGINX_REG$p")
done

# ---------------------------------------------------------------- cargo fetch
APP="$TMP/app"
mkdir -p "$APP/src"
printf '[package]\nname = "uses-json"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nserde_json = "1"\n' >"$APP/Cargo.toml"
echo 'fn main() { println!("{}", serde_json::json!({"n": 1})); }' >"$APP/src/main.rs"
FETCH_N=0
fetch() {  # fetch arca|nginx -> wall seconds of `cargo fetch` into an empty CARGO_HOME (no lockfile)
  local side=$1 url home t0 t1 got
  FETCH_N=$((FETCH_N + 1))
  case $side in arca) url=$ARCA_REG ;; nginx) url=$NGINX_REG ;; esac
  home="$TMP/cargo-home-$FETCH_N"
  cargo_home "$home" "$url"
  rm -f "$APP/Cargo.lock"
  t0=$(date +%s.%N)
  bench_cargo "$home" "$APP" fetch -q >"$TMP/fetch-$FETCH_N.log" 2>&1 ||
    { cat "$TMP/fetch-$FETCH_N.log" >&2; die "cargo fetch from $side failed"; }
  t1=$(date +%s.%N)
  got=$(find "$home/registry/cache" -name '*.crate' | wc -l)
  [ "$got" = 4 ] || die "cargo fetch from $side left $got .crate files, want 4"
  rm -rf "$home"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
log "cargo fetch of serde_json's tree: one unmeasured run each, then $FETCH_RUNS alternating"
fetch nginx >/dev/null
fetch arca >/dev/null
ARCA_T=() NGX_T=()
for i in $(seq "$FETCH_RUNS"); do
  NGX_T+=("$(fetch nginx)")
  ARCA_T+=("$(fetch arca)")
  log "run $i: nginx ${NGX_T[-1]} s, arca ${ARCA_T[-1]} s"
done
R[arca_fetch]=$(median "${ARCA_T[@]}")
R[ngx_fetch]=$(median "${NGX_T[@]}")
log "cargo build of the program from arca (compiling dominates; reported, not compared)"
home="$TMP/cargo-home-build"
cargo_home "$home" "$ARCA_REG"
t0=$(date +%s.%N)
bench_cargo "$home" "$APP" build -q >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; die "cargo build from arca failed"; }
BUILD_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')

ARCA_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$ARCA_PID/status")
RI=$(ratio "${R[arca_index]}" "${R[ngx_index]}")
RC=$(ratio "${R[arca_crate]}" "${R[ngx_crate]}")
RF=$(ratio "${R[arca_fetch]}" "${R[ngx_fetch]}")
{
  echo "# Cargo endpoint: arca vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`DURATION=$DURATION FETCH_RUNS=$FETCH_RUNS VERSIONS=$VERSIONS bash bench/cargo.sh\`; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, arca with the token in Authorization on every request;"
  echo "bench-crate with $VERSIONS versions; $("$CARGO" -V | cut -d' ' -f1-2), \`cargo fetch\` of serde_json 1.0.87 (with itoa, ryu, serde: Debian's sources published with cargo) into an empty CARGO_HOME, median of $FETCH_RUNS runs each."
  echo
  echo "| measurement | bytes | arca | nginx | arca / nginx | target |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| GET index file, req/s | $INDEX_BYTES | ${R[arca_index]} | ${R[ngx_index]} | $RI | ≥ 0.3: $(target "$RI" '>=' 0.3) |"
  echo "| GET .crate, req/s | $CRATE_BYTES | ${R[arca_crate]} | ${R[ngx_crate]} | $RC | ≥ 0.3: $(target "$RC" '>=' 0.3) |"
  echo "| cargo fetch, wall s | | ${R[arca_fetch]} | ${R[ngx_fetch]} | $RF | ≤ 1.2: $(target "$RF" '<=' 1.2) |"
  echo
  echo "cargo fetch runs (s): arca ${ARCA_T[*]}; nginx ${NGX_T[*]}. \`cargo build\` of the program from arca (fetch and compile): $BUILD_S s. Peak RSS of arca: $ARCA_RSS MiB."
} >"$TMP/cargo.md"
cat "$TMP/cargo.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/cargo.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
