#!/usr/bin/env bash
# Measures arca's Maven repository endpoint against nginx serving the same
# files from disk in the Maven repository layout, on the same machine in the
# same run: requests/s of a 64 KiB jar and of an artifact's
# maven-metadata.xml (100 versions), and the wall time of `mvn
# dependency:get` of a 50-artifact tree into an empty local repository.
# See bench/README.md.
#
#   bash bench/maven.sh
#   DURATION=3s MVN_RUNS=1 bash bench/maven.sh      # quick run
#
# Nothing is installed by this script: it says what is missing (nginx, wrk,
# mvn and Debian's packaged Maven plugins). Everything listens on 127.0.0.1
# only; every process and temp file it starts or creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
VERSIONS=${VERSIONS:-100}         # versions of the artifact measured with wrk
JAR_SIZE=${JAR_SIZE:-65536}
TREE=${TREE:-50}                  # artifacts of the tree mvn resolves
TREE_JAR_SIZE=${TREE_JAR_SIZE:-4096}
MVN_RUNS=${MVN_RUNS:-3}
RESULTS=${RESULTS:-$ROOT/bench/results/maven.md}
GROUP=org.example.bench
ARTIFACT=bench-lib
TREE_GROUP=org.example.tree
MAVEN_REPO=/usr/share/maven-repo  # Debian's packaged plugins
DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.5.0

. bench/lib.sh
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- tools
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
missing=""
[ -n "$NGINX" ] || missing="$missing nginx"
command -v wrk >/dev/null || missing="$missing wrk"
command -v curl >/dev/null || missing="$missing curl"
command -v mvn >/dev/null || missing="$missing maven"
[ -d "$MAVEN_REPO/org/apache/maven/plugins/maven-dependency-plugin/3.5.0" ] || missing="$missing libmaven-dependency-plugin-java"
[ -d "$MAVEN_REPO/org/apache/commons/commons-text" ] || missing="$missing libcommons-text-java"
[ -z "$missing" ] || die "missing:$missing (apt-get install -y$missing)"

bench_begin maven


# ---------------------------------------------------------------- arca
start_arca_for maven-token repository
ARCA_REPO=$ARCA_URL
AUTH="Authorization: Basic $(printf 'aws:%s' "$ARCA_TOKEN" | base64 -w0)"

# ---------------------------------------------------------------- nginx
WWW="$TMP/www"
mkdir -p "$WWW"
start_nginx 'types { text/xml xml; application/java-archive jar; text/plain sha1 md5; }
  default_type application/octet-stream;'
NGINX_REPO=$NGINX_URL/

# ---------------------------------------------------------------- the repository
SEED=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
log "publishing $VERSIONS versions of $GROUP:$ARTIFACT ($JAR_SIZE-byte jars) and a $TREE-artifact tree to arca, writing the same files for nginx"
"$BENCHCTL" maven-seed -repository "$ARCA_REPO" -token "$ARCA_TOKEN" -dir "$WWW" -group $GROUP -artifact $ARTIFACT \
  -versions "$VERSIONS" -size "$JAR_SIZE" -seed "$SEED" >/dev/null
"$BENCHCTL" maven-seed -repository "$ARCA_REPO" -token "$ARCA_TOKEN" -dir "$WWW" -group $TREE_GROUP \
  -tree "$TREE" -size "$TREE_JAR_SIZE" -seed "$SEED" >/dev/null

# arca generates every artifact's maven-metadata.xml; nginx serves a copy of
# those bytes (and of arca's checksums of them).
copy_metadata() {  # copy_metadata GROUP ARTIFACT
  local p=${1//.//}/$2/maven-metadata.xml ext
  for ext in "" .sha1 .md5; do
    curl -sf -H "$AUTH" -o "$WWW/$p$ext" "$ARCA_REPO$p$ext" || die "GET $p$ext from arca failed"
  done
}
copy_metadata $GROUP $ARTIFACT
for i in $(seq 0 $((TREE - 1))); do copy_metadata $TREE_GROUP "tree-$i"; done

LAST=1.$((VERSIONS - 1))
JAR=${GROUP//.//}/$ARTIFACT/$LAST/$ARTIFACT-$LAST.jar
META=${GROUP//.//}/$ARTIFACT/maven-metadata.xml
# Both must serve the same bytes before anything is measured.
for p in "$JAR" "$META"; do
  a=$(curl -sf -H "$AUTH" "$ARCA_REPO$p" | sha256sum | cut -d' ' -f1)
  b=$(curl -sf "$NGINX_REPO$p" | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || die "arca and nginx serve different bytes for $p ($a vs $b)"
done
n=$(curl -sf "$NGINX_REPO$META" | grep -o '<version>' | wc -l)
[ "$n" = "$VERSIONS" ] || die "$META lists $n versions, want $VERSIONS"
curl -sf "$NGINX_REPO$META" | grep -q "<release>$LAST</release>" || die "$META does not name $LAST the release (Maven order)"
JAR_BYTES=$(curl -sf "$NGINX_REPO$JAR" | wc -c)
META_BYTES=$(curl -sf "$NGINX_REPO$META" | wc -c)

# ---------------------------------------------------------------- wrk
declare -A R
for what in jar meta; do
  case $what in jar) p=$JAR ;; meta) p=$META ;; esac
  log "$what: arca"
  R[arca_$what]=$(wrk_rps "$ARCA_REPO$p" "$AUTH")
  log "$what: nginx"
  R[ngx_$what]=$(wrk_rps "$NGINX_REPO$p")
done

# ---------------------------------------------------------------- mvn
# Plugins come from Debian's packaged repository (file:), Maven's default
# repository is disabled, and every artifact of the tree comes from the
# repository under test with the id "bench" (credentials: aws/token; nginx
# ignores them).
mvn_settings() {  # mvn_settings URL FILE
  cat >"$2" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<settings>
  <servers>
    <server><id>bench</id><username>aws</username><password>$ARCA_TOKEN</password></server>
  </servers>
  <profiles>
    <profile>
      <id>bench</id>
      <repositories>
        <repository>
          <id>central</id><url>file:///nonexistent</url>
          <releases><enabled>false</enabled></releases><snapshots><enabled>false</enabled></snapshots>
        </repository>
        <repository>
          <id>bench</id><url>$1</url>
          <releases><enabled>true</enabled><checksumPolicy>fail</checksumPolicy></releases>
          <snapshots><enabled>false</enabled></snapshots>
        </repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>central</id><url>file://$MAVEN_REPO</url></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>bench</activeProfile></activeProfiles>
</settings>
EOF
}
mkdir -p "$TMP/mvn/home" "$TMP/mvn/work"
echo '<settings/>' >"$TMP/mvn/global.xml"
mvn_settings "$ARCA_REPO" "$TMP/mvn/arca.xml"
mvn_settings "$NGINX_REPO" "$TMP/mvn/nginx.xml"
MVN_N=0
mvn_get() {  # mvn_get arca|nginx -> wall seconds of dependency:get into an empty local repository
  local side=$1 local_repo t0 t1 jars
  MVN_N=$((MVN_N + 1))
  local_repo="$TMP/mvn/m2-$MVN_N"
  mkdir -p "$local_repo"
  t0=$(date +%s.%N)
  (cd "$TMP/mvn/work" && env -u MAVEN_OPTS -u MAVEN_ARGS -u MAVEN_CONFIG -u JAVA_TOOL_OPTIONS -u _JAVA_OPTIONS \
    HOME="$TMP/mvn/home" MAVEN_OPTS="-Xmx256m -XX:TieredStopAtLevel=1" \
    mvn -B -q -Dstyle.color=never -s "$TMP/mvn/$side.xml" -gs "$TMP/mvn/global.xml" -Dmaven.repo.local="$local_repo" \
    "$DEP_PLUGIN:get" -Dartifact=$TREE_GROUP:tree-0:1.0 -Dtransitive=true) >"$TMP/mvn-$MVN_N.log" 2>&1 ||
    { cat "$TMP/mvn-$MVN_N.log" >&2; die "mvn dependency:get from $side failed"; }
  t1=$(date +%s.%N)
  jars=$(find "$local_repo/${TREE_GROUP//.//}" -name 'tree-*.jar' | wc -l)
  [ "$jars" = "$TREE" ] || die "mvn dependency:get from $side left $jars jars of the tree, want $TREE"
  rm -rf "$local_repo"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
log "mvn dependency:get of the $TREE-artifact tree: one unmeasured run each (JIT, page cache), then $MVN_RUNS alternating"
mvn_get nginx >/dev/null
mvn_get arca >/dev/null
ARCA_T=() NGX_T=()
for i in $(seq "$MVN_RUNS"); do
  NGX_T+=("$(mvn_get nginx)")
  ARCA_T+=("$(mvn_get arca)")
  log "run $i: nginx ${NGX_T[-1]} s, arca ${ARCA_T[-1]} s"
done
R[arca_mvn]=$(median "${ARCA_T[@]}")
R[ngx_mvn]=$(median "${NGX_T[@]}")

ARCA_RSS=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$ARCA_PID/status")
RJ=$(ratio "${R[arca_jar]}" "${R[ngx_jar]}")
RM=$(ratio "${R[arca_meta]}" "${R[ngx_meta]}")
RT=$(ratio "${R[arca_mvn]}" "${R[ngx_mvn]}")
{
  echo "# Maven endpoint: arca vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load at start $LOAD0, at end $(cut -d" " -f1-3 /proc/loadavg);"
  echo "\`DURATION=$DURATION MVN_RUNS=$MVN_RUNS bash bench/maven.sh\`; wrk -t$WRK_THREADS -c$WRK_CONNS -d$DURATION, arca with Basic aws:TOKEN on every request;"
  echo "$GROUP:$ARTIFACT with $VERSIONS versions; mvn $(mvn -B -v 2>/dev/null | head -1 | sed "s/\x1b\[[0-9;]*m//g" | cut -d" " -f3), dependency:get of a $TREE-artifact tree ($TREE_JAR_SIZE-byte jars), median of $MVN_RUNS runs each."
  echo
  echo "| measurement | bytes | arca | nginx | arca / nginx | target |"
  echo "|---|---:|---:|---:|---:|---|"
  echo "| GET jar, req/s | $JAR_BYTES | ${R[arca_jar]} | ${R[ngx_jar]} | $RJ | ≥ 0.3: $(target "$RJ" '>=' 0.3) |"
  echo "| GET maven-metadata.xml, req/s | $META_BYTES | ${R[arca_meta]} | ${R[ngx_meta]} | $RM | ≥ 0.3: $(target "$RM" '>=' 0.3) |"
  echo "| mvn dependency:get, wall s | | ${R[arca_mvn]} | ${R[ngx_mvn]} | $RT | ≤ 1.2: $(target "$RT" '<=' 1.2) |"
  echo
  echo "mvn runs (s): arca ${ARCA_T[*]}; nginx ${NGX_T[*]}. Peak RSS of arca: $ARCA_RSS MiB."
} >"$TMP/maven.md"
cat "$TMP/maven.md"
mkdir -p "$(dirname "$RESULTS")"
cp "$TMP/maven.md" "$RESULTS"
echo "written to ${RESULTS#"$ROOT"/}"
