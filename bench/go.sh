#!/usr/bin/env bash
# Measures arca's Go module proxy endpoint on this machine in one run:
#  - `go mod download` of arca's own dependency set (this repository's go.mod
#    and go.sum) into an empty module cache: directly from the Go module
#    proxy the go command is configured with (the first entry of
#    `go env GOPROXY`, asked at run time), through a fresh arca whose
#    public:go-proxy connection points at that proxy (cold: arca has kept
#    nothing), and through the same arca again (warm); median of RUNS, the
#    three alternating so all see the same network; beside them the floor:
#    the same download from a file:// proxy holding what the first direct
#    run fetched (the go command's own unzipping and hashing, no network);
#  - requests/s of `.info` and `.mod` GETs (wrk) from arca beside nginx
#    serving the same bytes, both over HTTPS with the same certificate.
# See bench/README.md.
#
#   bash bench/go.sh
#   RUNS=1 DURATION=3s bash bench/go.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# curl, openssl, the aws CLI). Servers listen on 127.0.0.1 only; every
# process and temp file it starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
RESULTS=${RESULTS:-$ROOT/bench/results/go.md}
# The module whose .info and .mod wrk reads (a requirement of arca's go.mod).
WRK_MODULE=${WRK_MODULE:-github.com/aws/aws-sdk-go-v2}

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
case "$RUNS" in '' | *[!0-9]* | 0) die "RUNS must be a positive number";; esac

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx-light"
for t in go wrk curl openssl aws; do command -v "$t" >/dev/null || missing="$missing $t"; done
[ -z "$missing" ] || die "missing:$missing (apt-get install -y nginx-light wrk curl openssl; the aws CLI)"

UPSTREAM=$(go env GOPROXY)
UPSTREAM=${UPSTREAM%%,*}
UPSTREAM=${UPSTREAM%%|*}
case "$UPSTREAM" in http://* | https://*) ;; *) die "go env GOPROXY's first entry is '$UPSTREAM', not a proxy URL";; esac
UPSTREAM=${UPSTREAM%/}/
WRK_VERSION=$(awk -v m="$WRK_MODULE" '$1 == m { print $2; exit }' go.mod)
[ -n "$WRK_VERSION" ] || die "$WRK_MODULE is not required by go.mod"

# The go command reaches the proxy the way this machine does; arca and
# nginx are on loopback (never proxied).
BENCH_KEEP_PROXY=1 bench_begin go
for v in $(compgen -e | grep '^GO' || true); do unset "$v"; done
export AWS_ACCESS_KEY_ID=$ARCA_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ARCA_ROOT_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true
export AWS_CONFIG_FILE=$TMP/aws-none AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-none

log "building arca and benchctl into $TMP"
go build -o "$TMP/arca" ./cmd/arca
go build -o "$TMP/benchctl" ./bench/cmd/benchctl
BENCHCTL=$TMP/benchctl

# The go command sends credentials only over HTTPS: one self-signed
# certificate for 127.0.0.1, used by arca and nginx, trusted by go, curl and
# the aws CLI.
CERT=$TMP/cert.pem KEY=$TMP/key.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$KEY" -out "$CERT" 2>/dev/null || die "openssl could not make a certificate"
export AWS_CA_BUNDLE=$CERT

# ---------------------------------------------------------------- arca
# start_arca: a fresh arca (new data directory, HTTPS) with repositories
# go-store (public:go-proxy at UPSTREAM) and app (upstream go-store); sets
# ARCA_PID, ARCA_EP (app's Go endpoint) and ARCA_TOKEN.
start_arca() {
  local port url aws i
  rm -rf "$TMP/arca-data"
  port=$("$BENCHCTL" freeport)
  ARCA_EXTERNAL_GO_PROXY_URL=$UPSTREAM ARCA_LISTEN=127.0.0.1:$port ARCA_DATA="$TMP/arca-data" \
    "$TMP/arca" serve --tls-cert "$CERT" --tls-key "$KEY" 2>"$TMP/arca.log" &
  ARCA_PID=$!
  url=https://127.0.0.1:$port
  for i in $(seq 400); do
    curl -sf --cacert "$CERT" -o /dev/null "$url/healthz" && break
    kill -0 "$ARCA_PID" 2>/dev/null || { cat "$TMP/arca.log" >&2; die "arca exited at start-up"; }
    sleep 0.05
  done
  curl -sf --cacert "$CERT" -o /dev/null "$url/healthz" || die "arca /healthz failed"
  aws="aws --endpoint-url $url codeartifact"
  $aws create-domain --domain bench >/dev/null
  $aws create-repository --domain bench --repository go-store >/dev/null
  $aws associate-external-connection --domain bench --repository go-store --external-connection public:go-proxy >/dev/null
  $aws create-repository --domain bench --repository app --upstreams repositoryName=go-store >/dev/null
  ARCA_TOKEN=$($aws get-authorization-token --domain bench --query authorizationToken --output text)
  ARCA_EP=$($aws get-repository-endpoint --domain bench --repository app --format go --query repositoryEndpoint --output text)
  case "$ARCA_EP" in https://127.0.0.1:*/go/d/*) ;; *) die "arca's Go endpoint is '$ARCA_EP'";; esac
}
stop_arca() {
  kill -TERM "$ARCA_PID" && wait "$ARCA_PID" || true
  ARCA_PID=""
}

# ---------------------------------------------------------------- go mod download
MOD=$TMP/mod
mkdir -p "$MOD"
cp go.mod go.sum "$MOD/"
NREQ=$(awk '/^require \(/ { r = 1; next } r && /^\)/ { r = 0 } r && NF >= 2 { n++ } /^require [^(]/ { n++ } END { print n }' go.mod)
# download direct|arca -> wall seconds of `go mod download` into an empty
# module cache (and HOME, for arca's .netrc); checks every requirement's zip
# arrived.
download() {
  local side=$1 home proxy t0 t1 got hp
  home=$(mktemp -d "$TMP/home.XXXXXX")   # in a $(…) subshell: no counter survives
  case $side in
    direct) proxy=$UPSTREAM ;;
    floor) proxy=file://$TMP/floor ;;
    arca)
      proxy=$ARCA_EP
      # the go command matches the machine against host:port
      hp=${ARCA_EP#https://}
      printf 'machine %s login aws password %s\n' "${hp%%/*}" "$ARCA_TOKEN" >"$home/.netrc"
      chmod 600 "$home/.netrc" ;;
  esac
  t0=$(date +%s.%N)
  (cd "$MOD" && env HOME="$home" GOENV=off GOPROXY="$proxy" GOMODCACHE="$home/modcache" GOPATH="$home/gopath" \
    GOFLAGS=-modcacherw GOTOOLCHAIN=local SSL_CERT_FILE="$CERT" go mod download) >"$home.log" 2>&1 ||
    { cat "$home.log" >&2; die "go mod download from $side failed"; }
  t1=$(date +%s.%N)
  got=$(find "$home/modcache/cache/download" -name '*.zip' | wc -l)
  if [ -z "$ZIPS" ]; then
    ZIPS=$got
    echo "$got" >"$TMP/zips"
    # what it fetched becomes the floor: a file:// proxy on this disk
    chmod -R u+w "$home/modcache"
    mv "$home/modcache/cache/download" "$TMP/floor"
  fi
  [ "$got" = "$ZIPS" ] && [ "$got" -gt 0 ] || die "go mod download from $side left $got zips, direct $ZIPS"
  chmod -R u+w "$home"
  rm -rf "$home" "$home.log"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

# The first (direct) download counts the zips go mod download fetches (the
# modules needed to build and test, fewer than go.mod lists); every other
# download must leave as many.
ZIPS=""
download direct >/dev/null
ZIPS=$(cat "$TMP/zips")
log "go mod download of arca's $NREQ requirements ($ZIPS zips): direct, arca cold (fresh arca), arca warm; $RUNS runs"
DIRECT_T=() COLD_T=() WARM_T=() FLOOR_T=()
for i in $(seq "$RUNS"); do
  FLOOR_T+=("$(download floor)")
  DIRECT_T+=("$(download direct)")
  start_arca
  COLD_T+=("$(download arca)")
  WARM_T+=("$(download arca)")
  log "run $i: floor ${FLOOR_T[-1]} s, direct ${DIRECT_T[-1]} s, arca cold ${COLD_T[-1]} s, arca warm ${WARM_T[-1]} s"
  [ "$i" = "$RUNS" ] || stop_arca
done
R_DIRECT=$(median "${DIRECT_T[@]}")
R_COLD=$(median "${COLD_T[@]}")
R_WARM=$(median "${WARM_T[@]}")
R_FLOOR=$(median "${FLOOR_T[@]}")
KEPT=$(find "$TMP/arca-data" -type f | wc -l)

# ---------------------------------------------------------------- nginx
WWW=$TMP/www
mkdir -p "$WWW"
NGINX_CERT=$CERT NGINX_KEY=$KEY
start_nginx 'types { application/json info; text/plain mod; }
  default_type application/octet-stream;
  etag on;'
NGINX_EP=$NGINX_URL/

# nginx serves copies of what arca serves (module paths here have no
# upper-case letters, so no ! escapes).
AUTH="Authorization: Basic $(printf 'aws:%s' "$ARCA_TOKEN" | base64 -w0)"
declare -A R BYTES
for ext in info mod; do
  p="$WRK_MODULE/@v/$WRK_VERSION.$ext"
  mkdir -p "$WWW/$(dirname "$p")"
  curl -sf --cacert "$CERT" -H "$AUTH" -o "$WWW/$p" "$ARCA_EP$p" || die "GET $p from arca failed"
  a=$(curl -sf --cacert "$CERT" -H "$AUTH" "$ARCA_EP$p" | sha256sum | cut -d' ' -f1)
  b=$(curl -sf --cacert "$CERT" "$NGINX_EP$p" | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || die "arca and nginx serve different bytes for $p"
  BYTES[$ext]=$(wc -c <"$WWW/$p")
  log "GET .$ext: arca"
  R[arca_$ext]=$(wrk_rps "$ARCA_EP$p" "$AUTH")
  log "GET .$ext: nginx"
  R[ngx_$ext]=$(wrk_rps "$NGINX_EP$p")
done

ARCA_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$ARCA_PID/status")
RW=$(ratio "$R_WARM" "$R_DIRECT")
RC=$(ratio "$R_COLD" "$R_DIRECT")
RI=$(ratio "${R[arca_info]}" "${R[ngx_info]}")
RM=$(ratio "${R[arca_mod]}" "${R[ngx_mod]}")
{
  echo "# Go module proxy endpoint: arca vs the upstream proxy and nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`RUNS=$RUNS DURATION=$DURATION bash bench/go.sh\`; $(go version | cut -d' ' -f3); \`go mod download\` of this repository's go.mod and go.sum ($NREQ requirements, $ZIPS zips) into an empty module cache, after one unmeasured direct run, median of $RUNS runs each;"
  echo "cold = a fresh arca (new data directory) whose public:go-proxy connection is the first entry of \`go env GOPROXY\`; warm = the same arca right after. wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION over HTTPS, arca with Basic aws:TOKEN on every request."
  echo
  echo "| measurement | bytes | arca | reference | arca / reference | target |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| go mod download warm, wall s (reference: direct) | | $R_WARM | $R_DIRECT | $RW | ≤ 0.5: $(target "$RW" '<=' 0.5) |"
  echo "| go mod download cold, wall s (reference: direct) | | $R_COLD | $R_DIRECT | $RC | ≤ 1.3: $(target "$RC" '<=' 1.3) |"
  echo "| go mod download from a file:// proxy on this disk, wall s (the go command's own cost; reference: direct) | | $R_FLOOR | $R_DIRECT | $(ratio "$R_FLOOR" "$R_DIRECT") | — |"
  echo "| GET $WRK_MODULE .info, req/s (reference: nginx) | ${BYTES[info]} | ${R[arca_info]} | ${R[ngx_info]} | $RI | ≥ 0.3: $(target "$RI" '>=' 0.3) |"
  echo "| GET $WRK_MODULE .mod, req/s (reference: nginx) | ${BYTES[mod]} | ${R[arca_mod]} | ${R[ngx_mod]} | $RM | ≥ 0.3: $(target "$RM" '>=' 0.3) |"
  echo
  echo "Runs (s): file:// ${FLOOR_T[*]}; direct ${DIRECT_T[*]}; arca cold ${COLD_T[*]}; arca warm ${WARM_T[*]}. Files in arca's data directory after the last run: $KEPT. Peak RSS of the last arca: $ARCA_RSS MiB."
} >"$TMP/go.md"
cat "$TMP/go.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/go.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
