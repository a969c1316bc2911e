#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, -DDGM_FUZZ=ON, clang) in their own build directory
# and runs each for a bounded time, one process per target, one target after the other.
#
#   tests/fuzz/run.sh                 # every target for 25 s (what CI runs)
#   tests/fuzz/run.sh 3600            # every target for an hour
#   tests/fuzz/run.sh 600 uai npy     # some targets
#
# Targets: model_text (.pbtxt + compiler), model_binary (.pb + compiler), uai (.uai +
# compiler), evidence (.evid, applied to a small model), npy (.npy). Seeds: tests/fuzz/corpus/
# <target>, examples/**/*.pbtxt for model_text, and the kept regression inputs
# (tests/fuzz/regressions/<target>). What a run adds to the corpus stays in
# $BUILD_DIR/corpus/<target> for the next run; a crash, a hang (-timeout) or an allocation
# past -rss_limit_mb is written to $BUILD_DIR/artifacts/<target>/ and fails the script. Keep
# such an input in tests/fuzz/regressions/<target>/ once fixed: fuzz_regression_test (label
# unit) feeds them all to the readers.
#
# Environment: BUILD_DIR (default build-fuzz), JOBS (build jobs, default 2), CXX (default
# clang++), FUZZ_FLAGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-25}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(model_text model_binary uai evidence npy); fi
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-2}

if [[ ! -f $build/build.ninja ]]; then
  launcher=()
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="${CXX:-clang++}" -DDGM_FUZZ=ON "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j "$jobs" --target fuzzers

failed=0
summary=()
for t in "${targets[@]}"; do
  seeds=()
  # A folder git would not keep if empty: only the ones that exist in this checkout.
  if [[ -d tests/fuzz/corpus/$t ]]; then seeds+=(tests/fuzz/corpus/$t); fi
  if [[ -d tests/fuzz/regressions/$t ]]; then seeds+=(tests/fuzz/regressions/$t); fi
  if [[ $t == model_text ]]; then
    mkdir -p "$build/seeds/model_text"
    find examples -name '*.pbtxt' -exec cp {} "$build/seeds/model_text/" \;
    seeds+=("$build/seeds/model_text")
  fi
  dict=()
  if [[ -f tests/fuzz/$t.dict ]]; then dict=(-dict=tests/fuzz/$t.dict); fi
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
  log="$build/fuzz_$t.log"
  echo "=== fuzz_$t for ${seconds} s"
  start=$(date +%s)
  set +e
  # stdin from /dev/null: a model naming /dev/stdin as a .npy must not wait for a terminal.
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" "${dict[@]}" \
    ${FUZZ_FLAGS:-} "$build/corpus/$t" "${seeds[@]}" </dev/null >"$log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(ls "$build/corpus/$t" | wc -l)
  if [[ $rc -ne 0 ]]; then
    failed=1
    echo "fuzz_$t FAILED (exit $rc); the log is $log, the input in $build/artifacts/$t/"
    grep -E "^==[0-9]+==ERROR|SUMMARY|Test unit written" "$log" | head -5 || true
  fi
  summary+=("$(printf '%-14s %10s executions in %5s s, corpus %5s inputs, %s' "$t" "${execs:-?}" \
    "$elapsed" "$corpus" "$([[ $rc -eq 0 ]] && echo ok || echo FAILED)")")
done
echo "=== fuzzing summary"
printf '%s\n' "${summary[@]}"
exit $failed
