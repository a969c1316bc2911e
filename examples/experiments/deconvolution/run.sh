#!/usr/bin/env bash
# The 2-D binary deconvolution experiment (Lázaro-Gredilla et al., NeurIPS 2021, §5.6; PGMax's
# example pmp_binary_deconvolution) end to end: the model and its data, PMP, single-site Gibbs
# and Gibbs-with-gradients on it, and for each sampler its features W scored against the true
# ones (show_features.py) and drawn as a PNG.
#
#   examples/experiments/deconvolution/run.sh              # 4 images, under a minute
#   IMAGES=20 examples/experiments/deconvolution/run.sh    # the telling size, about 11 minutes
#
# The model is PGMax's: soft observations (p_e = 1e-100) and the location prior
# p_S = 1e-72, a strong preference for explaining the images with few placements (the paper's
# p_S = 0.01 is the data's law; with it as the prior PMP's samples use many more placements and
# recover fewer features: README.md). PMP perturbs S and W only, as the paper and PGMax.
# Gibbs and GWG start from init.npy, a valid state (the all-zero state breaks the OR factors of
# the lit pixels).
# Environment: DGM (default build/tools/dgm), OUT (default build/deconvolution), IMAGES (4),
# SAMPLES (chains per sampler, 4), ITERATIONS (max-product iterations per PMP sample, 1000),
# GIBBS_SWEEPS (1000), GWG_SWEEPS (1; 0 skips GWG), SEED (1), THREADS (0: all cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
DGM="${DGM:-build/tools/dgm}"
OUT="${OUT:-build/deconvolution}"
IMAGES="${IMAGES:-4}"
SAMPLES="${SAMPLES:-4}"
ITERATIONS="${ITERATIONS:-1000}"
GIBBS_SWEEPS="${GIBBS_SWEEPS:-1000}"
GWG_SWEEPS="${GWG_SWEEPS:-1}"
SEED="${SEED:-1}"
THREADS="${THREADS:-0}"
python=/usr/bin/python3
mkdir -p "$OUT"

"$python" "$here/make_model.py" --images "$IMAGES" --soft-evidence 1e-100 --p-s 1e-72 \
  --out "$OUT/model.pbtxt"
cat >"$OUT/pmp.pbtxt" <<CONFIG
pmp {
  bp { max_iterations: $ITERATIONS damping: 0.5 }
  no_repair: true
  noise_groups: "W"
  noise_groups: "S"
}
CONFIG

summary=()
# run NAME ARGS...: samples with dgm, then scores and draws the final states of the chains.
run() {
  local name=$1
  shift
  local start=$SECONDS
  echo "== $name"
  "$DGM" sample "$OUT/model.pbtxt" "$@" --chains "$SAMPLES" --seed "$SEED" --threads "$THREADS" \
    --out "$OUT/$name.npy" | grep -E "^(wrote|invalid|note)" || true
  local elapsed=$((SECONDS - start))
  local scores
  scores=$("$python" "$here/show_features.py" "$OUT/$name.npy" --features "$OUT/features.npy" \
    --last "$SAMPLES" --png "$OUT/$name.png" --title "$name, $IMAGES images, ${elapsed} s")
  echo "$scores"
  local score
  score=$(grep '^summary' <<<"$scores")
  summary+=("$(printf '%-6s %5d s  %s' "$name" "$elapsed" "${score#summary: }")")
}

run pmp --config "$OUT/pmp.pbtxt" --sweeps 1
# Only the last sweep is kept (--burn-in): the chains' final states.
run gibbs --sampler gibbs --sweeps "$GIBBS_SWEEPS" --burn-in $((GIBBS_SWEEPS - 1)) \
  --init-rows "$OUT/init.npy"
if ((GWG_SWEEPS > 0)); then
  run gwg --sampler gwg --sweeps "$GWG_SWEEPS" --burn-in $((GWG_SWEEPS - 1)) \
    --init-rows "$OUT/init.npy"
fi

echo
echo "deconvolution, $IMAGES images: true features recovered exactly (k = 0) by each sampler's"
echo "final states (figures: $OUT/<sampler>.png)"
printf '%s\n' "${summary[@]}"
