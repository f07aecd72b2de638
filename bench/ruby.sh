#!/usr/bin/env bash
# Measures arca's RubyGems endpoint against nginx serving the same files
# from disk as a static compact index, on the same machine in the same run:
# requests/s of a gem's /info file (a gem with 100 versions) and of a real
# .gem download (rake), and the wall time of `bundle install` of a real tree
# (bench-gem → webrick, rake, net-telnet: Debian's gem sources, rebuilt with
# `gem build`) into an empty BUNDLE_PATH. See bench/README.md.
#
#   bash bench/ruby.sh
#   DURATION=3s INSTALL_RUNS=1 VERSIONS=20 bash bench/ruby.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# ruby, bundler, ruby-webrick, rake, ruby-net-telnet). Everything listens
# on 127.0.0.1 only; every process and temp file it starts or creates is
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
VERSIONS=${VERSIONS:-100}   # versions of the gem whose /info file wrk reads
INSTALL_RUNS=${INSTALL_RUNS:-3}
RESULTS=${RESULTS:-$ROOT/bench/results/ruby.md}
RGI=/usr/share/rubygems-integration/all   # Debian's gem sources and gemspecs
TREE="webrick-1.8.1 rake-13.0.6 net-telnet-0.2.0"
DL_GEM=rake-13.0.6   # the .gem wrk downloads

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tools
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v curl >/dev/null || missing="$missing curl"
command -v ruby >/dev/null && command -v gem >/dev/null || missing="$missing ruby"
command -v bundle >/dev/null || missing="$missing bundler"
for g in $TREE; do
  [ -d "$RGI/gems/$g" ] && [ -f "$RGI/specifications/$g.gemspec" ] || {
    case $g in webrick-*) missing="$missing ruby-webrick" ;; rake-*) missing="$missing rake" ;; *) missing="$missing ruby-${g%-*}" ;; esac
  }
done
[ -z "$missing" ] || die "missing:$missing (apt-get install -y$missing; the tree wants$( echo " $TREE"))"

bench_begin ruby
for v in $(compgen -e | grep -E '^(GEM_|BUNDLE_|RUBY)' || true); do unset "$v"; done


# ---------------------------------------------------------------- arca
# The token is the domain's; the RubyGems endpoint is the Maven one's
# sibling. Reads carry it as Bundler sends it: Basic aws:TOKEN.
start_arca_for maven-token repository
ARCA_REG=${ARCA_URL/\/maven\/d\//\/ruby\/d\/}
ARCA_REG=${ARCA_REG%/}/
AUTH="Authorization: Basic $(printf 'aws:%s' "$ARCA_TOKEN" | base64 -w0)"
# Every ruby process from here on gets a private HOME and gem directories
# (not earlier: go build wants the real HOME's module cache).
export HOME="$TMP/home" GEM_HOME="$TMP/home/gems" GEM_SPEC_CACHE="$TMP/home/specs"
mkdir -p "$HOME"
ARCA_SRC=$(ruby -ruri -e 'u = URI(ARGV[0]); u.user = "aws"; u.password = URI.encode_www_form_component(ARGV[1]); print u' "$ARCA_REG" "$ARCA_TOKEN")

# ---------------------------------------------------------------- nginx
WWW="$TMP/www"
mkdir -p "$WWW"
# Bundler 2.3 takes an ETag for the MD5 of the compact index file and
# drops the compact index when it is not (nginx's is mtime-size).
start_nginx 'types { application/octet-stream gem; }
  default_type text/plain;
  charset utf-8;
  etag off;'
NGINX_REG=$NGINX_URL/

# ---------------------------------------------------------------- gems
# The real tree: Debian ships each gem's sources and a gemspec whose file
# list names only its executables, so each is rebuilt with `gem build` of a
# gemspec that loads Debian's and lists every file of the sources.
log "building $VERSIONS versions of bench-gem (each depending on webrick) and the real tree ($TREE)"
mkdir -p "$TMP/gems" "$TMP/src"
for g in $TREE; do
  cp -r "$RGI/gems/$g" "$TMP/src/$g"
  chmod -R u+w "$TMP/src/$g"
  cat >"$TMP/src/$g/bench.gemspec" <<EOF
spec = Gem::Specification.load("$RGI/specifications/$g.gemspec")
spec.files = Dir.glob("**/*").select { |f| File.file?(f) && f != "bench.gemspec" && !f.end_with?(".gem") }.sort
spec
EOF
  (cd "$TMP/src/$g" && gem build -q bench.gemspec -o "$TMP/gems/$g.gem" >"$TMP/build.log" 2>&1) ||
    { cat "$TMP/build.log" >&2; die "gem build $g failed"; }
done
# bench-gem: one ruby process builds every version (what `gem build` runs).
mkdir -p "$TMP/src/bench-gem/lib"
(cd "$TMP/src/bench-gem" && ruby -rrubygems/package -e '
  n, out = ARGV[0].to_i, ARGV[1]
  n.times do |i|
    File.write("lib/bench_gem.rb", "module BenchGem\n  VALUE = #{i}\nend\n")
    s = Gem::Specification.new do |s|
      s.name = "bench-gem"; s.version = "1.#{i}.0"; s.summary = "bench"; s.authors = ["bench"]
      s.license = "MIT"; s.files = ["lib/bench_gem.rb"]; s.required_ruby_version = ">= 2.5"
      s.add_runtime_dependency "webrick", ">= 1.0"
    end
    Gem::DefaultUserInteraction.use_ui(Gem::SilentUI.new) { Gem::Package.build(s, false, false, "#{out}/#{s.file_name}") }
  end' "$VERSIONS" "$TMP/gems") >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; die "building bench-gem failed"; }
n=$(ls "$TMP/gems"/bench-gem-*.gem | wc -l)
[ "$n" = "$VERSIONS" ] || die "built $n bench-gem versions, want $VERSIONS"

log "gem push of $((VERSIONS + 3)) gems into arca"
push() {  # push FILE
  GEM_HOST_API_KEY=$ARCA_TOKEN gem push --host "${ARCA_REG%/}" "$1" >"$TMP/push.log" 2>&1 &&
    grep -q 'Successfully registered gem' "$TMP/push.log" || { cat "$TMP/push.log" >&2; die "gem push $(basename "$1") failed"; }
}
for g in $TREE; do push "$TMP/gems/$g.gem"; done
for i in $(seq 0 $((VERSIONS - 1))); do push "$TMP/gems/bench-gem-1.$i.0.gem"; done

# nginx serves copies of arca's compact index files and .gem files.
get() {  # get PATH: copies arca's PATH into nginx's root
  mkdir -p "$WWW/$(dirname "$1")"
  curl -sf -H "$AUTH" -o "$WWW/$1" "$ARCA_REG$1" || die "GET $1 from arca failed"
}
get versions
get names
for g in bench-gem $(for g in $TREE; do echo "${g%-*}"; done); do get "info/$g"; done
for g in $TREE; do get "gems/$g.gem"; done
for i in $(seq 0 $((VERSIONS - 1))); do get "gems/bench-gem-1.$i.0.gem"; done

INFO=info/bench-gem
GEM=gems/$DL_GEM.gem
for p in versions "$INFO" "$GEM"; do
  a=$(curl -sf -H "$AUTH" "$ARCA_REG$p" | sha256sum | cut -d' ' -f1)
  b=$(curl -sf "$NGINX_REG$p" | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || die "arca and nginx serve different bytes for $p ($a vs $b)"
done
cmp -s "$WWW/$GEM" "$TMP/gems/$DL_GEM.gem" || die "arca's $GEM differs from the pushed file"
n=$(curl -sf "$NGINX_REG$INFO" | grep -c '^1\.')
[ "$n" = "$VERSIONS" ] || die "$INFO has $n versions, want $VERSIONS"
INFO_BYTES=$(curl -sf "$NGINX_REG$INFO" | wc -c)
GEM_BYTES=$(curl -sf "$NGINX_REG$GEM" | wc -c)

# ---------------------------------------------------------------- wrk
declare -A R
for what in info gem; do
  case $what in info) p=$INFO ;; gem) p=$GEM ;; esac
  log "$what: arca"
  R[arca_$what]=$(wrk_rps "$ARCA_REG$p" "$AUTH")
  log "$what: nginx"
  R[ngx_$what]=$(wrk_rps "$NGINX_REG$p")
done

# ---------------------------------------------------------------- bundle install
APP="$TMP/app"
mkdir -p "$APP"
install() {  # install arca|nginx -> wall seconds of `bundle install` into an empty BUNDLE_PATH (no lockfile, empty caches)
  local side=$1 src dir t0 t1 got
  case $side in arca) src=$ARCA_SRC ;; nginx) src=$NGINX_REG ;; esac
  dir=$(mktemp -d "$TMP/bundle-$side.XXXXXX")   # (runs in a subshell: no counter)
  printf 'source "%s"\n\ngem "bench-gem", "~> 1.0"\ngem "rake", "~> 13.0"\ngem "net-telnet"\n' "$src" >"$APP/Gemfile"
  rm -f "$APP/Gemfile.lock"
  t0=$(date +%s.%N)
  (cd "$APP" && env HOME="$dir/home" GEM_HOME="$dir/home/gems" GEM_SPEC_CACHE="$dir/home/specs" BUNDLE_USER_HOME="$dir/user" \
    BUNDLE_PATH="$dir/vendor" BUNDLE_GEMFILE="$APP/Gemfile" BUNDLE_APP_CONFIG="$dir/config" BUNDLE_DISABLE_VERSION_CHECK=true \
    BUNDLE_IGNORE_MESSAGES=true BUNDLE_RETRY=0 BUNDLE_JOBS=4 BUNDLE_SILENCE_ROOT_WARNING=true \
    bundle install --quiet >"$dir.log" 2>&1) ||
    { cat "$dir.log" >&2; die "bundle install from $side failed"; }
  t1=$(date +%s.%N)
  got=$(find "$dir/vendor" -path '*/cache/*.gem' | wc -l)
  [ "$got" = 4 ] || { find "$dir/vendor" -name '*.gem' >&2; die "bundle install from $side left $got .gem files, want 4"; }
  grep -q "bench-gem (1.$((VERSIONS - 1)).0)" "$APP/Gemfile.lock" || { cat "$APP/Gemfile.lock" >&2; die "bundle install from $side did not pick bench-gem 1.$((VERSIONS - 1)).0"; }
  find "$dir/user" -path '*compact_index*' -path '*/info/bench-gem' | grep -q . ||
    { cat "$dir.log" >&2; die "bundle install from $side did not use the compact index"; }
  rm -rf "$dir"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
log "bundle install of bench-gem, rake, net-telnet (and webrick): one unmeasured run each, then $INSTALL_RUNS alternating"
install nginx >/dev/null
install arca >/dev/null
ARCA_T=() NGX_T=()
for i in $(seq "$INSTALL_RUNS"); do
  NGX_T+=("$(install nginx)")
  ARCA_T+=("$(install arca)")
  log "run $i: nginx ${NGX_T[-1]} s, arca ${ARCA_T[-1]} s"
done
R[arca_install]=$(median "${ARCA_T[@]}")
R[ngx_install]=$(median "${NGX_T[@]}")

ARCA_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$ARCA_PID/status")
RI=$(ratio "${R[arca_info]}" "${R[ngx_info]}")
RG=$(ratio "${R[arca_gem]}" "${R[ngx_gem]}")
RB=$(ratio "${R[arca_install]}" "${R[ngx_install]}")
{
  echo "# RubyGems endpoint: arca vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`DURATION=$DURATION INSTALL_RUNS=$INSTALL_RUNS VERSIONS=$VERSIONS bash bench/ruby.sh\`; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, arca with Basic aws:TOKEN on every request;"
  echo "bench-gem with $VERSIONS versions; $(ruby -v | cut -d' ' -f1-2), Bundler $(bundle -v | awk '{ print $NF }'), \`bundle install\` of bench-gem, rake, net-telnet and webrick (Debian's sources rebuilt with gem build, pushed with gem push) into an empty BUNDLE_PATH, median of $INSTALL_RUNS runs each."
  echo
  echo "| measurement | bytes | arca | nginx | arca / nginx | target |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| GET /info/bench-gem, req/s | $INFO_BYTES | ${R[arca_info]} | ${R[ngx_info]} | $RI | ≥ 0.3: $(target "$RI" '>=' 0.3) |"
  echo "| GET $DL_GEM.gem, req/s | $GEM_BYTES | ${R[arca_gem]} | ${R[ngx_gem]} | $RG | ≥ 0.3: $(target "$RG" '>=' 0.3) |"
  echo "| bundle install, wall s | | ${R[arca_install]} | ${R[ngx_install]} | $RB | ≤ 1.2: $(target "$RB" '<=' 1.2) |"
  echo
  echo "bundle install runs (s): arca ${ARCA_T[*]}; nginx ${NGX_T[*]}. Peak RSS of arca: $ARCA_RSS MiB."
} >"$TMP/ruby.md"
cat "$TMP/ruby.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/ruby.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
