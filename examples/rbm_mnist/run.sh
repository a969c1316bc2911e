#!/usr/bin/env bash
# The RBM-on-MNIST experiment (Hinton 2010; Salakhutdinov & Murray 2008; Tieleman 2008): train
# examples/rbm_mnist.pbtxt (784 visible × 500 hidden) on 9,000 binarised digits with one method,
# then score 1,000 held-out digits with AIS (100 runs × 14,501 βs, base from the training data's
# pixel marginals) and write curves and model samples.
#
#   examples/rbm_mnist/run.sh cd 1        # CD-1; also: cd 10, pcd 1, pmp 0
# Environment: DGM (default build/tools/dgm), OUT (default build/rbm_mnist), EPOCHS (default 50),
# THREADS (default 0: all cores), EXTRA (more `dgm learn` flags, e.g. the CD-25 row of
# docs/benchmarks.md: EXTRA="--momentum 0.9 --initial-momentum 0.5 --momentum-switch-epoch 5
# --init-visible-bias-from-data" examples/rbm_mnist/run.sh cd 25).
set -euo pipefail
method="${1:-cd}"
k="${2:-1}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
DGM="${DGM:-build/tools/dgm}"
OUT="${OUT:-build/rbm_mnist}"
EPOCHS="${EPOCHS:-50}"
THREADS="${THREADS:-0}"
mkdir -p "$OUT"
[[ -f "$OUT/data/train.npy" ]] || "$DGM" data mnist --out "$OUT/data"
name="$method-$k"
# The recipe of the reference trainer: minibatches of 100, SGD with learning rate 0.01 and
# weight decay 2e-4 on W (not the biases); block Gibbs for the MCMC steps. The recorded figures
# (docs/benchmarks.md) start from zero biases; EXTRA="--init-visible-bias-from-data" starts the
# visible biases at the data's log-odds as the reference does (CD-25: −100.4 against −103.5).
read -r -a extra <<<"${EXTRA:-}"
"$DGM" learn "$root/examples/rbm_mnist.pbtxt" --data "$OUT/data/train.npy" --test "$OUT/data/test.npy" \
  --method "$method" --k "$k" --sampler block-gibbs --batch-size 100 --lr 0.01 --l2 2e-4 \
  --penalise-weights-only --epochs "$EPOCHS" --seed 1 --threads "$THREADS" --mixing-every 10 \
  --out "$OUT/$name.pbtxt" --plot "$OUT/$name" --log "$OUT/$name.jsonl" "${extra[@]}"
"$DGM" score "$OUT/$name.pbtxt" --data "$OUT/data/test.npy" --logz ais --runs 100 --betas 14501 \
  --seed 1 --threads "$THREADS" --format json >"$OUT/$name.score.json"
grep -E '"mean_log_likelihood"|"interval"' "$OUT/$name.score.json"
