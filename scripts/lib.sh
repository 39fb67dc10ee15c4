# Shared by the scripts: the project root, the JDK to use, and the build-if-stale step.
# shellcheck shell=bash
OPSHELL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The newest JDK >= 21 under /usr/lib/jvm (Temurin first), unless JAVA_HOME already is one.
opshell_java_home() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-*-jdk-* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$version" ] && [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no JDK 21 or newer under /usr/lib/jvm; install Temurin 21+ or set JAVA_HOME" >&2
  return 1
}

opshell_setup_java() {
  JAVA_HOME=$(opshell_java_home) || exit 1
  export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
  # Maven's own Guava warns about sun.misc.Unsafe on JDK 23+; the option exists only there.
  if [ -z "${MAVEN_OPTS:-}" ] && java --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
    export MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow"
  fi
}

OPSHELL_JAR="$OPSHELL_ROOT/host/server/target/opshell.jar"
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
  local junix
  for junix in "$OPSHELL_NATIVE"/libjunixsocket-native-*.so; do
    if [ -f "$junix" ]; then
      echo "-Dorg.newsclub.net.unix.library.override=$junix"
      echo "-Dorg.newsclub.net.unix.library.override.force=true"
    fi
  done
}

# Rebuilds (without tests) when any source is newer than the runnable jar.
opshell_build_if_stale() {
  local inputs=(pom.xml guest-abi state-store shells host/pom.xml host/core host/wasmtime host/chicory host/server)
  if [ -f "$OPSHELL_JAR" ] && [ -z "$(cd "$OPSHELL_ROOT" && find "${inputs[@]}" -newer "$OPSHELL_JAR" \
        -not -path '*/target/*' -type f -print -quit)" ]; then
    return 0
  fi
  echo "building opshell..." >&2
  (cd "$OPSHELL_ROOT" && mvn -q -B package -DskipTests) || { echo "error: build failed" >&2; exit 1; }
  touch "$OPSHELL_JAR"
}
