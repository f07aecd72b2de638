#!/usr/bin/env bash
# Measures arca's Swift registry endpoint against nginx serving the same
# files from disk, on the same machine in the same run: requests/s of a
# release's metadata (GET /{scope}/{name}/{version}, the JSON SwiftPM reads
# before every manifest and archive) and of its source archive (GET
# /{scope}/{name}/{version}.zip). The release is a real Swift package:
# tree-sitter-json's source from the Go module proxy (its repository is a
# Swift package and a Go module), archived as SwiftPM archives on Linux
# (`zip -ry`) and published with the multipart PUT SwiftPM sends. See
# bench/README.md.
#
#   bash bench/swift.sh
#   DURATION=3s ROUNDS=1 bash bench/swift.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# curl, zip, go). Everything listens on 127.0.0.1 only; every process and
# temp file it starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
RESULTS=${RESULTS:-$ROOT/bench/results/swift.md}
MODULE=github.com/tree-sitter/tree-sitter-json
MODVER=v0.24.8
VERSIONS=${VERSIONS:-20}   # releases of the package (the metadata's links span them)
ROUNDS=${ROUNDS:-3}        # alternating arca/nginx rounds; medians are reported

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tools
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx"
for t in wrk curl zip go; do command -v $t >/dev/null || missing="$missing $t"; done
[ -z "$missing" ] || die "missing:$missing (apt-get install -y$missing)"

bench_begin swift


# ---------------------------------------------------------------- arca
# The token is the domain's; the Swift endpoint is the Maven one's sibling.
start_arca_for maven-token repository
ARCA_REG=${ARCA_URL/\/maven\/d\//\/swift\/d\/}
AUTH="Authorization: Bearer $ARCA_TOKEN"

# ---------------------------------------------------------------- the package
log "fetching $MODULE@$MODVER through the Go module proxy and archiving it as SwiftPM does"
SRC=$(cd "$TMP" && go mod download -json "$MODULE@$MODVER" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -f "$SRC/Package.swift" ] || die "no Package.swift in $MODULE@$MODVER ($SRC)"
mkdir -p "$TMP/work/source"
cp -r "$SRC" "$TMP/work/source/tree-sitter.TreeSitterJSON"
chmod -R u+w "$TMP/work/source"
(cd "$TMP/work/source" && zip -ry -q "$TMP/work/archive.zip" tree-sitter.TreeSitterJSON)
cat >"$TMP/work/metadata.json" <<'EOF'
{"description":"JSON grammar for tree-sitter","repositoryURLs":["https://github.com/tree-sitter/tree-sitter-json"],"licenseURL":"https://github.com/tree-sitter/tree-sitter-json/blob/master/LICENSE","author":{"name":"tree-sitter"}}
EOF
publish() {  # publish VERSION
  local code
  code=$(curl -s -o "$TMP/publish.out" -w '%{http_code}' -X PUT -H "$AUTH" -H "Accept: application/vnd.swift.registry.v1+json" \
    -F "source-archive=@$TMP/work/archive.zip;type=application/zip" -F "metadata=@$TMP/work/metadata.json;type=application/json" \
    "${ARCA_REG}tree-sitter/TreeSitterJSON/$1")
  [ "$code" = 201 ] || { cat "$TMP/publish.out" >&2; die "publish $1: HTTP $code"; }
}
log "publishing $VERSIONS releases"
for i in $(seq 0 $((VERSIONS - 1))); do publish "0.$i.0"; done
REL=tree-sitter/treesitterjson/0.$((VERSIONS / 2)).0

# ---------------------------------------------------------------- nginx
WWW="$TMP/www"
mkdir -p "$WWW/tree-sitter/treesitterjson"
start_nginx 'types { application/json json; application/zip zip; }
  default_type application/json;
  etag on;'
NGINX_REG=$NGINX_URL/

# nginx serves copies of what arca serves.
curl -sf -H "$AUTH" -o "$WWW/$REL" "$ARCA_REG$REL" || die "GET $REL from arca failed"
curl -sf -H "$AUTH" -o "$WWW/$REL.zip" "$ARCA_REG$REL.zip" || die "GET $REL.zip from arca failed"
for p in "$REL" "$REL.zip"; do
  a=$(curl -sf -H "$AUTH" "$ARCA_REG$p" | sha256sum | cut -d' ' -f1)
  b=$(curl -sf "$NGINX_REG$p" | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || die "arca and nginx serve different bytes for $p ($a vs $b)"
done
sum=$(sha256sum "$TMP/work/archive.zip" | cut -d' ' -f1)
grep -q "\"checksum\":\"$sum\"" "$WWW/$REL" || die "the release metadata does not carry the archive's checksum"
META_BYTES=$(wc -c <"$WWW/$REL")
ZIP_BYTES=$(wc -c <"$WWW/$REL.zip")

# ---------------------------------------------------------------- wrk
# ROUNDS alternating rounds (arca, then nginx, per file): on a machine
# shared with other work the load drifts within a run, and the medians of
# alternating rounds compare like with like.
declare -A R
declare -A RUNS
for round in $(seq "$ROUNDS"); do
  for what in meta zip; do
    case $what in meta) p=$REL ;; zip) p=$REL.zip ;; esac
    a=$(wrk_rps "$ARCA_REG$p" "$AUTH")
    n=$(wrk_rps "$NGINX_REG$p")
    log "round $round, $what: arca $a, nginx $n req/s"
    RUNS[arca_$what]="${RUNS[arca_$what]:-} $a"
    RUNS[ngx_$what]="${RUNS[ngx_$what]:-} $n"
  done
done
for k in arca_meta ngx_meta arca_zip ngx_zip; do
  # shellcheck disable=SC2086
  R[$k]=$(median ${RUNS[$k]})
done

ARCA_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$ARCA_PID/status")
RM=$(ratio "${R[arca_meta]}" "${R[ngx_meta]}")
RZ=$(ratio "${R[arca_zip]}" "${R[ngx_zip]}")
{
  echo "# Swift registry endpoint: arca vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`DURATION=$DURATION ROUNDS=$ROUNDS VERSIONS=$VERSIONS bash bench/swift.sh\`; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, arca with the token in Authorization on every request, medians of $ROUNDS alternating rounds;"
  echo "tree-sitter-json $MODVER's source (a real Swift package) archived with \`zip -ry\`, published as $VERSIONS releases; release $REL."
  echo
  echo "| measurement | bytes | arca | nginx | arca / nginx | target |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| GET release metadata, req/s | $META_BYTES | ${R[arca_meta]} | ${R[ngx_meta]} | $RM | ≥ 0.3: $(target "$RM" '>=' 0.3) |"
  echo "| GET source archive (.zip), req/s | $ZIP_BYTES | ${R[arca_zip]} | ${R[ngx_zip]} | $RZ | ≥ 0.3: $(target "$RZ" '>=' 0.3) |"
  echo
  echo "Rounds (req/s): metadata arca${RUNS[arca_meta]}, nginx${RUNS[ngx_meta]}; archive arca${RUNS[arca_zip]}, nginx${RUNS[ngx_zip]}. Peak RSS of arca: $ARCA_RSS MiB."
} >"$TMP/swift.md"
cat "$TMP/swift.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/swift.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
