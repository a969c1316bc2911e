#!/usr/bin/env bash
# Installs dgm from BUILD_DIR into a scratch prefix, then builds and runs, against that prefix
# only, the two applications that use it the way embedders do: tests/package (the public API's
# smoke test) and examples/embed (the README's embedding example).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
cmake --install "$BUILD_DIR" --prefix "$prefix" >/dev/null
# Only the public headers are installed, and they include no internal one.
if [[ -e "$prefix/include/dgm/engine" || -e "$prefix/include/dgm/inference" ]]; then
  echo "run.sh: internal headers were installed under $prefix/include/dgm" >&2
  exit 1
fi
if grep -nE '#include "(engine|factors|inference|learning|api)/' "$prefix"/include/dgm/*.h; then
  echo "run.sh: a public header includes an internal one" >&2
  exit 1
fi
# The program and its plotting script, where an installed dgm looks for the script first.
for file in bin/dgm share/dgm/dgm_plot.py; do
  if [[ ! -x "$prefix/$file" ]]; then
    echo "run.sh: $file was not installed (or is not executable) under $prefix" >&2
    exit 1
  fi
done
"$prefix/bin/dgm" --version >/dev/null
for project in tests/package examples/embed; do
  echo "--- $project"
  build="$prefix/build-$(basename "$project")"
  cmake -S "$project" -B "$build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$build" >/dev/null
done
"$prefix/build-package/consumer"
"$prefix/build-embed/embed"
echo "package: tests/package and examples/embed built and ran against the installed dgm"
