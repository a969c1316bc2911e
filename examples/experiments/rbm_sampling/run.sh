#!/usr/bin/env bash
# The RBM sampling benchmark of the GWG and DLP papers (Grathwohl et al. 2021, §5.1; Zhang et al.
# 2022, §5.2): an RBM trained briefly on MNIST, 100 chains, log MMD against a reference from long
# block-Gibbs runs, plotted against seconds and against work, for gibbs, gwg, dmala and
# block-gibbs (the oracle: it samples the joint exactly given the other layer).
#
#   examples/experiments/rbm_sampling/run.sh          # reduced: 1 epoch of CD-1, 20 s per sampler
#   FULL=1 examples/experiments/rbm_sampling/run.sh   # 5 epochs, 120 s per sampler, 10,000-sweep reference
# Environment: DGM (default build/tools/dgm), OUT (default build/rbm_sampling), THREADS.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
DGM="${DGM:-build/tools/dgm}"
OUT="${OUT:-build/rbm_sampling}"
THREADS="${THREADS:-0}"
if [[ -n "${FULL:-}" ]]; then epochs=5 budget=120 burn_in=10000; else epochs=1 budget=20 burn_in=2000; fi
mkdir -p "$OUT"
[[ -f "$OUT/data/train.npy" ]] || "$DGM" data mnist --out "$OUT/data"
# A briefly trained RBM (the papers train theirs with PCD for a short while): CD-1, SGD 0.01.
[[ -f "$OUT/rbm.pbtxt" ]] || "$DGM" learn "$root/examples/rbm_mnist.pbtxt" \
  --data "$OUT/data/train.npy" --method cd --k 1 --sampler block-gibbs --batch-size 100 \
  --lr 0.01 --epochs "$epochs" --seed 1 --threads "$THREADS" --out "$OUT/rbm.pbtxt"
cat >"$OUT/compare.pbtxt" <<CONFIG
samplers { sampler: "block-gibbs" }
samplers { sampler: "gibbs" }
samplers { sampler: "gwg" }
samplers { sampler: "dmala" }
chains: 100
budget_seconds: $budget
seed: 1
reference { source: "sampler" sampler: "block-gibbs" burn_in: $burn_in samples: 500 }
threads: $THREADS
CONFIG
"$DGM" compare "$OUT/rbm.pbtxt" --config "$OUT/compare.pbtxt" --plot "$OUT/plots" \
  --csv "$OUT/points.csv"
