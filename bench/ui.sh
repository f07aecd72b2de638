#!/usr/bin/env bash
# Measures the web UI (PUBLIC_URL/ui/) on a repository of many packages
# against nginx serving the same pages, byte for byte, from disk, on the
# same machine in the same run: requests/s of the repository's first page of
# packages, of a deep page (reached through the Next links: keyset, not
# OFFSET, so it should cost what the first does), of a name-prefix + format
# search, and of a version page (README, dependencies, assets, snippets),
# each with a signed-in session cookie; and the wall time of walking every
# page of the list one after another, as a person paging through would. The
# packages are published with npm's publish request (benchctl ui-seed). See
# bench/README.md.
#
#   bash bench/ui.sh
#   PACKAGES=2000 DURATION=3s bash bench/ui.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# curl, go). Everything listens on 127.0.0.1 only; every process and temp
# file it starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
PACKAGES=${PACKAGES:-10000}
RESULTS=${RESULTS:-$ROOT/bench/results/ui.md}

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tools
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx"
for t in wrk curl go; do command -v $t >/dev/null || missing="$missing $t"; done
[ -z "$missing" ] || die "missing:$missing (apt-get install -y$missing)"

bench_begin ui


# ---------------------------------------------------------------- arca
start_arca_for npm-token registry
log "publishing $PACKAGES npm packages"
SEED=$("$BENCHCTL" ui-seed -registry "$ARCA_URL" -token "$ARCA_TOKEN" -n "$PACKAGES" -c 4)
log "$SEED"
# ARCA_URL is …/npm/d/DOMAIN-OWNER/REPO/
DOM_OWNER=$(sed 's#.*/npm/d/\([^/]*\)/.*#\1#' <<<"$ARCA_URL")
REPO=$(sed 's#.*/npm/d/[^/]*/\([^/]*\)/$#\1#' <<<"$ARCA_URL")
DOMAIN=${DOM_OWNER%-*}
OWNER=${DOM_OWNER##*-}
UI=$ARCA_ENDPOINT/ui
REPO_PAGE=/d/$OWNER/$DOMAIN/r/$REPO/

# Sign in through the form, as a browser does: the form's CSRF token and
# its cookie, then the key pair.
JAR=$TMP/cookies
form=$(curl -sf -c "$JAR" "$UI/signin") || die "GET /ui/signin failed"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$form" | head -1)
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" --data-urlencode "csrf=$csrf" \
  --data-urlencode "access_key_id=$ARCA_ROOT_ACCESS_KEY_ID" --data-urlencode "secret_access_key=$ARCA_ROOT_SECRET_ACCESS_KEY" \
  "$UI/signin")
[ "$code" = 303 ] || die "sign-in answered $code"
SESSION=$(awk '$6 == "arca_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || die "no session cookie after sign-in"
COOKIE="Cookie: arca_session=$SESSION"

page() { curl -sf -H "$COOKIE" "$UI$1" || die "GET /ui$1 failed"; }
next_of() { sed -n 's/.*<a href="\/ui\([^"]*\)" rel="next">.*/\1/p' | sed 's/&amp;/\&/g' | head -1; }

# Walk the whole list through the Next links, timing it.
log "walking every page of $PACKAGES packages"
p=$REPO_PAGE; pages=0; rows=0; DEEP=""
t0=$(date +%s.%N)
while [ -n "$p" ]; do
  html=$(page "$p")
  pages=$((pages + 1)); rows=$((rows + $(grep -c '</a></th><td>npm</td>' <<<"$html" || true)))
  [ $pages = $((PACKAGES / 50 * 3 / 4)) ] && DEEP=$p
  p=$(next_of <<<"$html")
done
t1=$(date +%s.%N)
[ "$rows" = "$PACKAGES" ] || die "the pages listed $rows packages, want $PACKAGES"
WALK_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
WALK_MS=$(awk -v s="$WALK_S" -v n="$pages" 'BEGIN { printf "%.2f", s * 1000 / n }')
[ -n "$DEEP" ] || DEEP=$REPO_PAGE
SEARCH="${REPO_PAGE}?prefix=ui-pkg-00&format=npm"   # the first 1,000 (of >= 1,000)
MIDDLE=$(printf 'ui-pkg-%05d' $((PACKAGES / 2)))
VERSION=${REPO_PAGE}p/npm/-/$MIDDLE/v/1.0.0

# ---------------------------------------------------------------- nginx
WWW="$TMP/www"
mkdir -p "$WWW"
start_nginx 'default_type text/html;
  charset utf-8;'
NGX=$NGINX_URL

# nginx serves each page as arca rendered it (the repository page's
# "built in" line aside, every byte is the same).
declare -A PATHS=([first]=$REPO_PAGE [deep]=$DEEP [search]=$SEARCH [version]=$VERSION)
declare -A BYTES R
for what in first deep search version; do
  page "${PATHS[$what]}" >"$WWW/$what.html"
  BYTES[$what]=$(wc -c <"$WWW/$what.html")
  grep -q '<main' "$WWW/$what.html" || die "$what page is not a UI page"
done
grep -q "$MIDDLE" "$WWW/version.html" || die "the version page lacks its package"

for what in first deep search version; do
  log "$what: arca"
  R[arca_$what]=$(wrk_rps "$UI${PATHS[$what]}" "$COOKIE")
  log "$what: nginx"
  R[ngx_$what]=$(wrk_rps "$NGX/$what.html")
done
RSS=$(kib_to_mib "$(kv vmhwm_kib "$("$BENCHCTL" procstat -pid "$ARCA_PID")")")

{
  echo "# Web UI: arca vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') serving the same pages"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`PACKAGES=$PACKAGES DURATION=$DURATION bash bench/ui.sh\`; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION; arca on SQLite, every request with the session cookie"
  echo "(verified, key looked up, authorized, rendered); $PACKAGES npm packages published with npm's publish request ($SEED)."
  echo
  echo "| page | bytes | arca req/s | nginx req/s | arca / nginx |"
  echo "|---|---:|---:|---:|---:|"
  for what in first deep search version; do
    echo "| $what \`${PATHS[$what]}\` | ${BYTES[$what]} | ${R[arca_$what]} | ${R[ngx_$what]} | $(ratio "${R[arca_$what]}" "${R[ngx_$what]}") |"
  done
  echo
  echo "Walking all $pages pages (50 packages each) through the Next links with curl, one after another: $WALK_S s, $WALK_MS ms a page."
  echo "Deep/first: $(ratio "${R[arca_deep]}" "${R[arca_first]}") (keyset pages: a deep page costs what the first does). Peak RSS of arca: $RSS MiB."
} >"$TMP/ui.md"
cat "$TMP/ui.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/ui.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
