# Shared by the scripts: the project root, the JDK to use, and the build-if-stale steps.
# shellcheck shell=bash
OPSHELL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A JDK's feature version (21, 25): from its release file, else by asking it (a JVM start).
opshell_jdk_version() {
  local version
  version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null)
  if [ -z "$version" ]; then
    version=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
  echo "${version%%.*}"
}

# A JDK >= 21: OPSHELL_JAVA_HOME or JAVA_HOME when it is one, else the first under /usr/lib/jvm
# (Temurin first). The jar's own launcher (io.opshell.server.Launcher) looks in the same places.
opshell_java_home() {
  local candidate version
  for candidate in "${OPSHELL_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-*-jdk-* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$(opshell_jdk_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no JDK 21 or newer in OPSHELL_JAVA_HOME, JAVA_HOME or /usr/lib/jvm; install one (e.g. Temurin 21+) or set OPSHELL_JAVA_HOME" >&2
  return 1
}

opshell_setup_java() {
  opshell_use_java
  opshell_maven_opts
}

# JAVA_HOME and PATH only: no JVM is started (scripts/connect starts fast).
opshell_use_java() {
  JAVA_HOME=$(opshell_java_home) || exit 1
  export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
}

opshell_maven_opts() {
  # Maven's own Guava warns about sun.misc.Unsafe on JDK 23+; the option exists only there.
  if [ -z "${MAVEN_OPTS:-}" ] && java --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
    export MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow"
  fi
}

OPSHELL_JAR="$OPSHELL_ROOT/host/server/target/opshell.jar"
OPSHELL_CLIENT_JAR="$OPSHELL_ROOT/host/client/target/opshell-client.jar"
OPSHELL_SERVER_INPUTS=(pom.xml guest-abi state-store shells host/pom.xml host/core host/wasmtime host/chicory host/server)
OPSHELL_CLIENT_INPUTS=(pom.xml host/pom.xml host/client/pom.xml host/client/src)
# Native libraries the build extracted next to the jar (host/server/pom.xml), loaded from there.
OPSHELL_NATIVE="$OPSHELL_ROOT/host/server/target/native"

# The JVM flags the server runs with (README, "JVM flags"), one per line:
# - the natives from $OPSHELL_NATIVE, so nothing is extracted into /tmp on any start (wasmtime-java
#   tries java.library.path first; junixsocket takes an explicit file);
# - no hsperfdata file in /tmp (which a killed JVM leaves behind; jcmd still attaches without it);
# - for Chicory: huge guest functions JIT-compiled (the scheme shell is 3x slower without), and a
#   4 MiB default stack, which virtual threads running guest code grow into (guest frames are Java
#   frames; the scheme shell's nesting limits need it). Harmless for wasmtime.
opshell_jvm_flags() {
  echo "--enable-native-access=ALL-UNNAMED"
  echo "-XX:-UsePerfData"
  echo "-XX:-DontCompileHugeMethods"
  echo "-Xss4m"
  if [ -f "$OPSHELL_NATIVE/libwasmtime_jni.so" ]; then
    echo "-Djava.library.path=$OPSHELL_NATIVE"
  fi
  if [ -f "$OPSHELL_NATIVE/libsqlitejdbc.so" ]; then
    echo "-Dorg.sqlite.lib.path=$OPSHELL_NATIVE"
    echo "-Dorg.sqlite.lib.name=libsqlitejdbc.so"
  fi
  local junix
  for junix in "$OPSHELL_NATIVE"/libjunixsocket-native-*.so; do
    if [ -f "$junix" ]; then
      echo "-Dorg.newsclub.net.unix.library.override=$junix"
      echo "-Dorg.newsclub.net.unix.library.override.force=true"
    fi
  done
}

# True (0) when JAR is missing or a file under the INPUTs (paths from the root) is newer than it.
opshell_stale() {
  local jar=$1
  shift
  [ -f "$jar" ] || return 0
  [ -n "$(cd "$OPSHELL_ROOT" && find "$@" -newer "$jar" -not -path '*/target/*' -type f -print -quit)" ]
}

# Whether the server's runnable jar exists and no source is newer than it.
opshell_jar_fresh() {
  ! opshell_stale "$OPSHELL_JAR" "${OPSHELL_SERVER_INPUTS[@]}"
}

# Rebuilds (without tests) when any source is newer than the runnable jars (server and client).
opshell_build_if_stale() {
  if opshell_jar_fresh && ! opshell_stale "$OPSHELL_CLIENT_JAR" "${OPSHELL_CLIENT_INPUTS[@]}"; then
    return 0
  fi
  echo "building opshell..." >&2
  [ -n "${MAVEN_OPTS:-}" ] || opshell_maven_opts
  (cd "$OPSHELL_ROOT" && mvn -q -B package -DskipTests >&2) || { echo "error: build failed" >&2; exit 1; }
  touch "$OPSHELL_JAR" "$OPSHELL_CLIENT_JAR"
}

# The client alone (scripts/connect): it depends on no other module of the project.
opshell_build_client_if_stale() {
  opshell_stale "$OPSHELL_CLIENT_JAR" "${OPSHELL_CLIENT_INPUTS[@]}" || return 0
  echo "building the opshell client..." >&2
  [ -n "${MAVEN_OPTS:-}" ] || opshell_maven_opts
  (cd "$OPSHELL_ROOT" && mvn -q -B package -DskipTests -pl host/client -am >&2) || { echo "error: build failed" >&2; exit 1; }
  touch "$OPSHELL_CLIENT_JAR"
}
