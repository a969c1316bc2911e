#!/usr/bin/env bash
# The Ising parameter-recovery experiment (Zhou et al. 2022, PMP learning §5.4; Grathwohl et al.
# 2021, GWG §5): sample 2,000 training examples from truth.pbtxt (25×25 periodic lattice,
# coupling −0.1 on each of its 1,250 bonds), learn the 1,250 couplings of learn.pbtxt from 0
# with several samplers, and plot the RMSE against the true couplings over wall time.
#
#   examples/ising_recovery/run.sh            # from the repository root, after the build
#   STRONG=1 examples/ising_recovery/run.sh   # the strongly coupled variant (truth_strong.pbtxt:
#                                             # θ = +0.4, near the critical point)
# Environment: DGM (the program, default build/tools/dgm), OUT (default build/ising_recovery,
# or build/ising_recovery_strong), EPOCHS (default 30), THREADS (default 0: all cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
DGM="${DGM:-build/tools/dgm}"
truth="$here/truth.pbtxt"
sweeps=1000
if [[ "${STRONG:-0}" == 1 ]]; then
  # Near the critical point Gibbs's autocorrelation time is hundreds of sweeps: 10,000 sweeps
  # per chain before its state is taken.
  truth="$here/truth_strong.pbtxt"
  sweeps=10000
  OUT="${OUT:-build/ising_recovery_strong}"
fi
OUT="${OUT:-build/ising_recovery}"
EPOCHS="${EPOCHS:-30}"
THREADS="${THREADS:-0}"
mkdir -p "$OUT"

# 1. Training data: the last state of each of 2,000 chains after 1,000 chromatic Gibbs sweeps
#    (625,000 site updates per example; at coupling −0.1 the chains mix in a few sweeps, so the
#    examples are independent draws from the model for every practical purpose).
if [[ ! -f "$OUT/train.npy" ]]; then
  "$DGM" sample "$truth" --sampler chromatic-gibbs --chains 2000 --sweeps "$sweeps" \
    --burn-in $((sweeps - 1)) --seed 1 --threads "$THREADS" --out "$OUT/train.npy"
fi

# 2. Learning: the same optimiser and minibatches for every method; the log's parameter_rmse is
#    the RMSE of the 1,250 couplings against truth.pbtxt after each epoch.
common=(--data "$OUT/train.npy" --epochs "$EPOCHS" --batch-size 100 --optimizer adam --lr 0.01
  --seed 2 --threads "$THREADS" --reference "$truth" --mixing-every 0)
run() {
  local name="$1"
  shift
  echo "== $name"
  "$DGM" learn "$here/learn.pbtxt" "${common[@]}" "$@" --log "$OUT/$name.jsonl" \
    --out "$OUT/$name.pbtxt" | tail -n 2
}
run pcd-gibbs --method pcd --sampler gibbs --k 1
run pcd-gwg --method pcd --sampler gwg --k 1
run cd-gibbs --method cd --sampler gibbs --k 1
run pmp --method pmp --k 0

# 3. The figure: log RMSE against wall time, one curve per method.
"$DGM" plot curves --out "$OUT/rmse.png" --x seconds --y parameter_rmse --logy \
  "$OUT/pcd-gibbs.jsonl" "$OUT/pcd-gwg.jsonl" "$OUT/cd-gibbs.jsonl" "$OUT/pmp.jsonl"
echo "wrote $OUT/rmse.png"
