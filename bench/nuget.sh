#!/usr/bin/env bash
# Measures arca's NuGet endpoint against nginx serving the same files from
# disk, on the same machine in the same run: requests/s of a package's
# registration index (a package with VERSIONS versions, pages inlined), its
# flat-container index (the version list restore reads) and a .nupkg
# download (about 1 MiB). See bench/README.md.
#
#   bash bench/nuget.sh
#   DURATION=3s VERSIONS=20 bash bench/nuget.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# curl, python3). The packages are built here (python3's zipfile: a
# .nuspec and a payload) and pushed with curl as NuGet pushes (a multipart
# PUT with Basic aws:TOKEN). Everything listens on 127.0.0.1 only; every
# process and temp file it starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
VERSIONS=${VERSIONS:-100}   # versions of the package whose indexes wrk reads
RESULTS=${RESULTS:-$ROOT/bench/results/nuget.md}

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v curl >/dev/null || missing="$missing curl"
command -v python3 >/dev/null || missing="$missing python3"
[ -z "$missing" ] || die "missing:$missing (apt-get install -y$missing)"

bench_begin nuget


# ---------------------------------------------------------------- arca
# The token is the domain's; the NuGet endpoint is the Maven one's sibling.
start_arca_for maven-token repository
ARCA_EP=${ARCA_URL/\/maven\/d\//\/nuget\/d\/}
AUTH="Authorization: Basic $(printf 'aws:%s' "$ARCA_TOKEN" | base64 -w0)"

# ---------------------------------------------------------------- nginx
WWW="$TMP/www"
mkdir -p "$WWW"
start_nginx 'types { application/json json; }
  default_type application/octet-stream;
  etag on;'
NGINX_EP=$NGINX_URL/

# ---------------------------------------------------------------- packages
log "building and pushing $VERSIONS versions of Bench.Pkg and one ~1 MiB Bench.Big"
python3 - "$TMP/pkgs" "$VERSIONS" <<'PY'
import os, sys, zipfile
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
def pack(id, version, payload, deps=""):
    spec = f'''<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>
<id>{id}</id><version>{version}</version><authors>bench</authors><description>{id} for the benchmark</description>
<license type="expression">MIT</license><dependencies><group targetFramework="net8.0">{deps}</group></dependencies>
</metadata></package>'''
    with zipfile.ZipFile(f"{out}/{id}.{version}.nupkg", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{id}.nuspec", spec)
        z.writestr(f"lib/net8.0/{id}.dll", payload)
for i in range(n):
    pack("Bench.Pkg", f"1.{i}.0", b"MZ" + bytes(i % 256 for _ in range(2048)), '<dependency id="Bench.Big" version="1.0.0"/>')
pack("Bench.Big", "1.0.0", os.urandom(1 << 20))
PY
for f in "$TMP"/pkgs/*.nupkg; do
  code=$(curl -s -o "$TMP/push.log" -w '%{http_code}' -H "$AUTH" -H "X-NuGet-ApiKey: unused" -X PUT -F "package=@$f" "${ARCA_EP}v3/package/")
  [ "$code" = 201 ] || { cat "$TMP/push.log" >&2; die "push of ${f##*/}: HTTP $code"; }
done

REG=v3/registration/bench.pkg/index.json
FLAT=v3/flatcontainer/bench.pkg/index.json
NUPKG=v3/flatcontainer/bench.big/1.0.0/bench.big.1.0.0.nupkg
for p in "$REG" "$FLAT" "$NUPKG"; do
  mkdir -p "$WWW/$(dirname "$p")"
  curl -sf -H "$AUTH" -o "$WWW/$p" "$ARCA_EP$p" || die "GET $p from arca failed"
  a=$(curl -sf -H "$AUTH" "$ARCA_EP$p" | sha256sum | cut -d' ' -f1)
  b=$(curl -sf "$NGINX_EP$p" | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || die "arca and nginx serve different bytes for $p ($a vs $b)"
done
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["versions"]))' "$WWW/$FLAT")
[ "$n" = "$VERSIONS" ] || die "$FLAT lists $n versions, want $VERSIONS"
cmp -s "$WWW/$NUPKG" "$TMP/pkgs/Bench.Big.1.0.0.nupkg" || die "the .nupkg served differs from the one pushed"
REG_BYTES=$(wc -c <"$WWW/$REG")
FLAT_BYTES=$(wc -c <"$WWW/$FLAT")
NUPKG_BYTES=$(wc -c <"$WWW/$NUPKG")

# ---------------------------------------------------------------- wrk
declare -A R
for what in reg flat nupkg; do
  case $what in reg) p=$REG ;; flat) p=$FLAT ;; nupkg) p=$NUPKG ;; esac
  log "$what: arca"
  R[arca_$what]=$(wrk_rps "$ARCA_EP$p" "$AUTH")
  log "$what: nginx"
  R[ngx_$what]=$(wrk_rps "$NGINX_EP$p")
done

ARCA_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$ARCA_PID/status")
RR=$(ratio "${R[arca_reg]}" "${R[ngx_reg]}")
RF=$(ratio "${R[arca_flat]}" "${R[ngx_flat]}")
RN=$(ratio "${R[arca_nupkg]}" "${R[ngx_nupkg]}")
{
  echo "# NuGet endpoint: arca vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`DURATION=$DURATION VERSIONS=$VERSIONS bash bench/nuget.sh\`; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, arca with Basic aws:TOKEN on every request;"
  echo "Bench.Pkg with $VERSIONS versions (registration pages inlined up to 128), Bench.Big 1.0.0 a .nupkg of random bytes."
  echo
  echo "| measurement | bytes | arca | nginx | arca / nginx | target |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| GET registration index, req/s | $REG_BYTES | ${R[arca_reg]} | ${R[ngx_reg]} | $RR | ≥ 0.3: $(target "$RR" '>=' 0.3) |"
  echo "| GET flat-container index, req/s | $FLAT_BYTES | ${R[arca_flat]} | ${R[ngx_flat]} | $RF | ≥ 0.3: $(target "$RF" '>=' 0.3) |"
  echo "| GET .nupkg, req/s | $NUPKG_BYTES | ${R[arca_nupkg]} | ${R[ngx_nupkg]} | $RN | ≥ 0.3: $(target "$RN" '>=' 0.3) |"
  echo
  echo "Peak RSS of arca: $ARCA_RSS MiB."
} >"$TMP/nuget.md"
cat "$TMP/nuget.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/nuget.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
