#!/usr/bin/env bash
# bench/token.sh: how long a credential command takes to print a token —
# `arca token --refresh` (what cargo's credential provider runs on every
# cargo command, after `arca login --tool cargo`), `arca token` (a fetch
# every time) and the peer, `aws codeartifact get-authorization-token`
# (what docs/cargo.md's provider ran before) — against one arca on
# loopback, interleaved run by run so a busy moment hits all three.
# RUNS=15 by default. Needs the aws CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
RUNS=${RUNS:-15}
command -v aws >/dev/null || die "the aws CLI (the peer) is not on PATH"
TMP=$(mktemp -d)
ARCA_PID=
trap '[ -n "$ARCA_PID" ] && kill "$ARCA_PID" 2>/dev/null; rm -rf "$TMP"' EXIT
log "building arca into $TMP"
go build -o "$TMP/arca" ./cmd/arca
ARCA_ROOT_ACCESS_KEY_ID=AKIABENCHTOKEN000001
ARCA_ROOT_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
ARCA_ROOT_ACCESS_KEY_ID=$ARCA_ROOT_ACCESS_KEY_ID ARCA_ROOT_SECRET_ACCESS_KEY=$ARCA_ROOT_SECRET_ACCESS_KEY \
  ARCA_LISTEN=127.0.0.1:0 ARCA_DATA="$TMP/data" "$TMP/arca" serve 2>"$TMP/arca.log" &
ARCA_PID=$!
E=$(arca_address "$TMP/arca.log" "$ARCA_PID")
mkdir -p "$TMP/home"
export HOME="$TMP/home" XDG_CACHE_HOME="$TMP/cache" AWS_ACCESS_KEY_ID=$ARCA_ROOT_ACCESS_KEY_ID \
  AWS_SECRET_ACCESS_KEY=$ARCA_ROOT_SECRET_ACCESS_KEY AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
  AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CODEARTIFACT
aws codeartifact create-domain --domain bench --endpoint-url "$E" >/dev/null
"$TMP/arca" token --refresh --domain bench --endpoint-url "$E" >/dev/null   # fill the cache

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
refresh=() fetch=() peer=()
log "$RUNS runs of each, interleaved"
for _ in $(seq "$RUNS"); do
  refresh+=("$(ms "$TMP/arca" token --refresh --domain bench --endpoint-url "$E")")
  fetch+=("$(ms "$TMP/arca" token --domain bench --endpoint-url "$E")")
  peer+=("$(ms aws codeartifact get-authorization-token --domain bench --endpoint-url "$E" --query authorizationToken --output text)")
done
r=$(median "${refresh[@]}") f=$(median "${fetch[@]}") p=$(median "${peer[@]}")
printf '%-48s %8s\n' "command (median of $RUNS runs)" "ms/run"
printf '%-48s %8s\n' "arca token --refresh (cached token)" "$r"
printf '%-48s %8s\n' "arca token (GetAuthorizationToken every run)" "$f"
printf '%-48s %8s\n' "aws codeartifact get-authorization-token (peer)" "$p"
printf 'peer / arca token --refresh: %sx\n' "$(ratio "$p" "$r")"
