# Shared by the scripts: the project root, the JDK to use, and the build-if-stale step.
# shellcheck shell=bash
OPSHELL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A JDK >= 21: OPSHELL_JAVA_HOME or JAVA_HOME when it is one, else the first under /usr/lib/jvm
# (Temurin first). The jar's own launcher (io.opshell.server.Launcher) looks in the same places.
opshell_java_home() {
  local candidate version
  for candidate in "${OPSHELL_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-*-jdk-* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    version=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$version" ] && [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "error: no JDK 21 or newer in OPSHELL_JAVA_HOME, JAVA_HOME or /usr/lib/jvm; install one (e.g. Temurin 21+) or set OPSHELL_JAVA_HOME" >&2
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

# Whether the runnable jar exists and no source is newer than it.
opshell_jar_fresh() {
  local inputs=(pom.xml guest-abi state-store shells host/pom.xml host/core host/wasmtime host/server)
  [ -f "$OPSHELL_JAR" ] && [ -z "$(cd "$OPSHELL_ROOT" && find "${inputs[@]}" -newer "$OPSHELL_JAR" \
        -not -path '*/target/*' -type f -print -quit)" ]
}

# Rebuilds (without tests) when any source is newer than the runnable jar.
opshell_build_if_stale() {
  if opshell_jar_fresh; then
    return 0
  fi
  echo "building opshell..." >&2
  (cd "$OPSHELL_ROOT" && mvn -q -B package -DskipTests) || { echo "error: build failed" >&2; exit 1; }
  touch "$OPSHELL_JAR"
}
