#!/usr/bin/env bash
# The threaded tests under ThreadSanitizer (docs/testing.md, "ThreadSanitizer").
#
#   tests/tsan/run.sh            the reduced set (CI): the threaded tests of the samplers, BP,
#                                sessions, comparison and learning, a few of each
#   tests/tsan/run.sh --full     every test labelled "threads" (tests/CMakeLists.txt)
#   tests/tsan/run.sh --tbb-only only obtain and build the instrumented libtbb
#
# TSan sees only what is instrumented: against Debian's libtbb it reports thousands of false
# races (it cannot see the library's own synchronisation), and suppressing libtbb would hide
# real races in our code too. So the script builds libtbb itself with TBB_SANITIZE=thread, from
# Debian's source package of exactly the installed libtbb-dev version, into a cache outside
# the checkout that later runs reuse (docs/decisions.md):
#   1. apt-get source onetbb=<version of libtbb-dev> (adding a deb-src entry for the machine's
#      Debian release when there is none; that needs root);
#   2. libtbb only (no tbbmalloc, tbbbind, tests or examples), -fsanitize=thread, installed to
#      $TBB_TSAN_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/dgm/tbb-tsan-<version>);
#   3. dgm in $BUILD_DIR (default build-tsan) with DGM_SANITIZE_THREAD=ON against that libtbb,
#      only the test executables needed, and a check that they load the instrumented libtbb;
#   4. ctest with TSAN_OPTIONS=halt_on_error=1: the first race fails the test.
# It fails loudly when the source package cannot be had; it never falls back to Debian's libtbb.
# Environment: BUILD_DIR, JOBS (default 2), TBB_TSAN_DIR, CXX (the compiler for both builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build-tsan}"
JOBS="${JOBS:-2}"
mode=reduced
case "${1:-}" in
  "") ;;
  --full) mode=full ;;
  --tbb-only) mode=tbb-only ;;
  *)
    echo "usage: tests/tsan/run.sh [--full | --tbb-only]" >&2
    exit 2
    ;;
esac

die() {
  echo "tsan: $*" >&2
  exit 1
}

# ---- 1. oneTBB's source, the version of the installed headers
tbb_version="$(dpkg-query -W -f='${Version}' libtbb-dev 2>/dev/null)" ||
  die "libtbb-dev is not installed (tools/quickstart.sh test installs it)"
TBB_TSAN_DIR="${TBB_TSAN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dgm/tbb-tsan-$tbb_version}"
stamp="$TBB_TSAN_DIR/.dgm-tbb-tsan"

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "needs root for: $*"
  fi
}

# Adds deb-src entries for the machine's release (and its -updates and -security suites) when
# apt knows no source package of onetbb, then refreshes the package lists.
ensure_deb_src() {
  if apt-get source --print-uris -qq "onetbb=$tbb_version" >/dev/null 2>&1; then
    return
  fi
  local codename
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [[ -n $codename ]] || die "cannot tell the Debian release from /etc/os-release"
  local list=/etc/apt/sources.list.d/dgm-deb-src.sources
  echo "tsan: adding deb-src entries for $codename to $list"
  as_root tee "$list" >/dev/null <<EOF
# Added by dgm's tests/tsan/run.sh: Debian's source packages, for apt-get source onetbb.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  as_root apt-get update -qq || die "apt-get update failed after adding $list"
  apt-get source --print-uris -qq "onetbb=$tbb_version" >/dev/null 2>&1 ||
    die "Debian's source package onetbb $tbb_version is not available (apt-get source" \
      "onetbb=$tbb_version); the TSan build needs it to build an instrumented libtbb"
}

build_tbb() {
  command -v dpkg-source >/dev/null || as_root apt-get install -y -qq dpkg-dev >/dev/null
  ensure_deb_src
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/dgm-tbb-tsan.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  echo "tsan: apt-get source onetbb=$tbb_version"
  (cd "$work" && apt-get source -qq "onetbb=$tbb_version" >/dev/null 2>"$work/apt.log") || {
    cat "$work/apt.log" >&2
    die "apt-get source onetbb=$tbb_version failed"
  }
  local src
  src="$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'onetbb-*' | head -n 1)"
  [[ -n $src && -f $src/CMakeLists.txt ]] || die "no unpacked onetbb source under $work"
  echo "tsan: building libtbb with TBB_SANITIZE=thread (a few minutes on 2 cores)"
  # Only libtbb: tbbmalloc(_proxy), tbbbind (hwloc), the tests and examples are off.
  # TBB_STRICT=OFF: no -Werror, whatever warnings this compiler adds.
  cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF \
    -DTBB_DISABLE_HWLOC_AUTOMATIC_SEARCH=ON -DTBB4PY_BUILD=OFF -DTBB_STRICT=OFF \
    -DCMAKE_INSTALL_PREFIX="$TBB_TSAN_DIR" -DCMAKE_INSTALL_LIBDIR=lib >"$work/configure.log" 2>&1 || {
    cat "$work/configure.log" >&2
    die "configuring oneTBB failed"
  }
  cmake --build "$work/build" -j "$JOBS" >"$work/build.log" 2>&1 || {
    tail -n 50 "$work/build.log" >&2
    die "building oneTBB failed"
  }
  rm -rf "$TBB_TSAN_DIR"
  cmake --install "$work/build" >/dev/null
  [[ -f $TBB_TSAN_DIR/lib/cmake/TBB/TBBConfig.cmake ]] || die "no TBBConfig.cmake in $TBB_TSAN_DIR"
  echo "onetbb $tbb_version TBB_SANITIZE=thread $(${CXX:-c++} --version | head -n 1)" >"$stamp"
  rm -rf "$work"
  trap - EXIT
}

if [[ -f $stamp ]]; then
  echo "tsan: instrumented libtbb $tbb_version from $TBB_TSAN_DIR"
else
  start=$(date +%s)
  build_tbb
  echo "tsan: instrumented libtbb $tbb_version in $TBB_TSAN_DIR ($(($(date +%s) - start)) s)"
fi
[[ $mode == tbb-only ]] && exit 0

# ---- 3. dgm with -fsanitize=thread against the instrumented libtbb
# The reduced set (CI): the executables of the samplers and sessions, and of their tests those
# that compare thread counts or run sessions (REDUCED_TESTS): the Gibbs family, block Gibbs,
# GWG, DULA and DMALA, and PMP (whose lanes run BP's parallel flooding) each on 1, 2 and 4
# threads, the sessions saved on 2 threads and continued on 1. BP's own thread test (3–4 min
# under TSan), the comparison and learning (~3 minutes to build) are in --full only, to keep CI
# near its budget.
reduced_targets=(gibbs_test rbm_gibbs_test gradient_test pmp_test session_test)
REDUCED_TESTS='Thread|^Session\.'
tbb_cmake_dir="$TBB_TSAN_DIR/lib/cmake/TBB"
start=$(date +%s)
# -O1 -g1, as the ASan build in .ci/run: less compile time, line numbers in every report.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDGM_SANITIZE_THREAD=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DDGM_BUILD_BENCHMARKS=OFF \
  -DTBB_DIR="$tbb_cmake_dir" >/dev/null
if [[ $mode == full ]]; then
  targets=(threaded_tests)
else
  targets=("${reduced_targets[@]}")
fi
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]}"
echo "tsan: dgm built in $BUILD_DIR ($(($(date +%s) - start)) s)"

# The test executables must load the instrumented libtbb (the build tree's RUNPATH points at
# it), not Debian's: a wrong one shows as thousands of reports, or worse, as none at all.
tbb_real="$(readlink -f "$TBB_TSAN_DIR/lib/libtbb.so.12")"
checked=0
for exe in "$BUILD_DIR"/tests/*_test; do
  [[ -x $exe ]] || continue
  loaded="$(ldd "$exe" | awk '$1 == "libtbb.so.12" { print $3 }')"
  [[ -n $loaded && $(readlink -f "$loaded") == "$tbb_real" ]] ||
    die "$exe loads libtbb from '${loaded:-nowhere}', not the instrumented $tbb_real"
  checked=$((checked + 1))
done
((checked > 0)) || die "no test executables in $BUILD_DIR/tests"

# ---- 4. the tests, stopping at the first race
# halt_on_error: a race (or lock-order inversion) ends the test with a failure;
# second_deadlock_stack: both stacks of a lock-order inversion; history_size: longer memory of
# earlier accesses, fewer "failed to restore the stack" reports.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"
ctest_args=(--test-dir "$BUILD_DIR" -L threads -j "$JOBS" --timeout 900 --no-tests=error
  --output-on-failure)
[[ $mode == reduced ]] && ctest_args+=(-R "$REDUCED_TESTS")
start=$(date +%s)
ctest "${ctest_args[@]}"
echo "tsan: no data race ($mode set, $(($(date +%s) - start)) s)"
