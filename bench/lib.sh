# Shell helpers shared by the bench scripts; each sources it after cd-ing
# to the repository root. Nothing here starts a process by itself.

BENCH_NAME=${BENCH_NAME:-bench/${0##*/}}
log() { printf '== %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

human() {  # bytes -> "1 GiB", "64 MiB", "4 KiB" or "N B"
  local n=$1
  if [ $((n % 1073741824)) = 0 ]; then echo "$((n / 1073741824)) GiB"
  elif [ $((n % 1048576)) = 0 ]; then echo "$((n / 1048576)) MiB"
  elif [ $((n % 1024)) = 0 ]; then echo "$((n / 1024)) KiB"
  else echo "$n B"; fi
}
kv() {  # kv KEY "k=v k=v …" -> v
  printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

# arca_address LOG PID: waits until the arca started with its log in LOG
# reports its address, checks it is loopback and healthy, and prints its
# base URL; dies (showing the log) if it exits or never says.
arca_address() {
  local logf=$1 pid=$2 url i
  for i in $(seq 400); do
    grep -q 'msg="arca serving"' "$logf" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$logf" >&2; die "arca exited at start-up"; }
    sleep 0.05
  done
  url=http://$(grep -o 'msg="arca serving" listen=[^ ]*' "$logf" | head -1 | sed 's/.*listen=//' || true)
  [ "$url" != "http://" ] || { cat "$logf" >&2; die "arca did not report its address"; }
  case "$url" in http://127.0.0.1:*) ;; *) die "arca listens on $url, not 127.0.0.1";; esac
  curl -sf "$url/healthz" >/dev/null || die "arca /healthz failed"
  echo "$url"
}

# start_arca_for TOKEN_CMD KEY: builds arca and benchctl into $TMP, starts
# arca on a free loopback port with its data in $TMP/data (ARCA_PID, log in
# $TMP/arca.log), exports ARCA_ENDPOINT, creates the benchmark domain and
# repository, and sets ARCA_TOKEN and ARCA_URL from `benchctl TOKEN_CMD`
# (which prints token=T KEY=URL).
start_arca_for() {
  local cmd=$1 key=$2 out
  log "building arca and benchctl into $TMP"
  go build -o "$TMP/arca" ./cmd/arca
  go build -o "$TMP/benchctl" ./bench/cmd/benchctl
  BENCHCTL="$TMP/benchctl"
  ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/data" "$TMP/arca" serve 2>"$TMP/arca.log" &
  ARCA_PID=$!
  ARCA_ENDPOINT=$(arca_address "$TMP/arca.log" "$ARCA_PID")
  export ARCA_ENDPOINT
  "$BENCHCTL" setup
  out=$("$BENCHCTL" "$cmd")
  ARCA_TOKEN=$(sed -n 's/.*token=\([^ ]*\).*/\1/p' <<<"$out")
  ARCA_URL=$(sed -n "s/.*$key=\([^ ]*\).*/\1/p" <<<"$out")
  [ -n "$ARCA_TOKEN" ] && [ -n "$ARCA_URL" ] || die "no token or endpoint from arca: $out"
}

# curl_speed URL SIZE -> bytes/s of one download; dies unless it is a 200
# of SIZE bytes.
curl_speed() {
  local out code size speed
  out=$(curl -s --max-time 600 -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$1")
  read -r code size speed <<<"$out"
  [ "$code" = 200 ] && [ "$size" = "$2" ] || die "download from ${1%%\?*}: HTTP $code, $size bytes"
  echo "$speed"
}

# median N1 N2 … -> the median (the mean of the middle two for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wrk_rps URL [HEADER] -> requests/s of `wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION` after a
# one-second warm-up; dies on non-2xx answers or socket errors.
wrk_rps() {  # wrk_rps URL [HEADER] -> requests/s; dies on non-2xx answers
  local url=$1 hdr=${2:-X-No-Token: 1} out
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d1s -H "$hdr" "$url" >/dev/null 2>&1 || true
  out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$DURATION" -H "$hdr" "$url") || die "wrk failed: $out"
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then printf '%s\n' "$out" >&2; die "wrk saw errors from $url"; fi
  out=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  awk -v r="$out" 'BEGIN { exit !(r > 0) }' || die "no request to $url completed"
  printf '%s\n' "$out"
}

# target RATIO OP LIMIT -> "met" or "MISSED" (OP is >= or <=).
target() {  # target RATIO OP LIMIT -> met / missed
  awk -v r="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? r >= l : r <= l; print (ok ? "met" : "MISSED") }'
}

# bench_begin NAME: the start every script shares. Clears ARCA_* and (but
# with BENCH_KEEP_PROXY=1, for a script whose arca fetches from outside)
# the proxy variables, exports the benchmark's root credentials, region and log
# level (LOG_LEVEL, default info), makes $TMP, and installs the exit trap
# that stops every arca in $ARCA_PID (one or several PIDs) and the nginx
# in $NGINX_PID, shows the logs of a failed run, and removes $TMP.
bench_begin() {
  local v
  for v in $(compgen -e | grep '^ARCA_' || true); do unset "$v"; done
  export ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHKEY00000001
  export ARCA_ROOT_SECRET_ACCESS_KEY=bench/secret/key/0123456789abcdefghijklm
  export ARCA_REGION=us-east-1
  export ARCA_LOG_LEVEL=${LOG_LEVEL:-info}
  [ "${BENCH_KEEP_PROXY:-}" = 1 ] || unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY || true
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/arca-$1-bench.XXXXXX")
  ARCA_PID=""
  NGINX_PID=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local rc=$? p
  set +e
  for p in $ARCA_PID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -z "$NGINX_PID" ] || { kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null; }
  [ "$rc" = 0 ] || { tail -20 "$TMP"/*.log "$TMP"/nginx/error.log >&2 2>/dev/null; }
  chmod -R u+w "$TMP" 2>/dev/null # the go command leaves its module cache read-only
  rm -rf "$TMP"
  exit $rc
}

# start_nginx 'DIRECTIVES': serves $WWW (made here) with $NGINX on a free
# loopback port, its config and logs in $TMP/nginx: sendfile, no access
# log, and DIRECTIVES (types, default_type, etag, …) in the http block.
# With NGINX_CERT and NGINX_KEY set it serves HTTPS with them. Waits until
# nginx answers; sets NGINX_PID, NGINX_PORT and NGINX_URL (no final slash).
start_nginx() {
  local user="" tls="" scheme=http i
  local curl_tls=()
  mkdir -p "$WWW" "$TMP/nginx/tmp"
  NGINX_PORT=$("$BENCHCTL" freeport)
  [ "$(id -u)" = 0 ] && user="user root;"   # workers must read $TMP (0700)
  if [ -n "${NGINX_CERT:-}" ]; then
    tls=" ssl; ssl_certificate $NGINX_CERT; ssl_certificate_key $NGINX_KEY"
    scheme=https
    curl_tls=(--cacert "$NGINX_CERT")
  fi
  cat >"$TMP/nginx/nginx.conf" <<CONF
$user
daemon off;
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  sendfile on;
  access_log off;
  $1
  client_body_temp_path $TMP/nginx/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT$tls;
    root $WWW;
    location / { }
  }
}
CONF
  "$NGINX" -t -q -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" || die "nginx config test failed"
  "$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" &
  NGINX_PID=$!
  NGINX_URL=$scheme://127.0.0.1:$NGINX_PORT
  echo ok >"$WWW/ping"
  for i in $(seq 100); do curl -sf "${curl_tls[@]}" -o /dev/null "$NGINX_URL/ping" && return; sleep 0.05; done
  cat "$TMP/nginx/error.log" >&2 2>/dev/null
  die "nginx did not start"
}
