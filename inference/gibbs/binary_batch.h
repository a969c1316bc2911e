#pragma once
// Binary pairwise updates of many sites at once, for sites that share no factor (one colour
// class of chromatic Gibbs): since no update reads another site of the batch, the sites can go
// through each stage together instead of one site at a time:
//   1. the log-odds Δ of every site (BinaryPairwise::log_odds, or log_odds_run along a
//      translation run of a lattice),
//   2. the uniforms (SiteUniforms; whole Philox draws when the positions are consecutive),
//   3. q = u·(1 + e^{−Δ}) with a branch-free estimate of the exponential that the compiler
//      vectorises (engine::exp_estimate; libm's exp is a call per site, a third of the time
//      of a scalar update),
//   4. the decisions q ≤ 1 (draw_binary's rule).
// Each stage is a short loop without calls, so the loads of neighbouring states overlap.
//
// The decisions are exactly draw_binary's: where the estimate could be on the wrong side of
// the threshold (q within 2^−16 of 1, or |Δ| beyond its range) draw_binary itself decides. So
// the batched path, the scalar fast path and the generic path agree as before (they differ
// only through the rounding of Δ, inference/model_views/binary_pairwise.h), and since each site's
// decision depends only on its own Δ and uniform, not on where it falls in a batch, the
// result does not depend on how the work is split between threads.
#include <cstdint>
#include <span>

#include "inference/gibbs/site_uniforms.h"
#include "inference/model_views/binary_pairwise.h"

namespace dgm::inference {

// Resamples x[sites[k]] for every k, site k using the uniform of position positions[k]
// (increasing, as along a colour class); no two of `sites` may neighbour each other. `runs`
// is empty or aligned with `sites`: translation_runs of a list that `sites` is a stretch of
// (inference/gibbs/translation_runs.h), whose runs are read without per-site neighbour lists.
// Returns how many changed.
std::int64_t update_binary_batch(const BinaryPairwise& pairwise,
                                 std::span<const std::int32_t> sites,
                                 std::span<const std::int32_t> runs,
                                 std::span<const std::int64_t> positions, std::span<std::int32_t> x,
                                 SiteUniforms& uniforms);

}  // namespace dgm::inference
