#!/usr/bin/env bash
# Builds examples/plugin/example-passes.jar against a built Kiln (run bin/build first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
java_home="$("$root/bin/java-home")"
out="$(mktemp -d)"
"$java_home/bin/javac" -d "$out" -cp "$root/cli/target/lib/*" $(find "$here/src" -name '*.java')
cp -r "$here/resources/." "$out/"
"$java_home/bin/jar" --create --file "$here/example-passes.jar" -C "$out" .
rm -rf "$out"
echo "wrote $here/example-passes.jar"
