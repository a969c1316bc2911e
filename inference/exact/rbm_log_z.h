#pragma once
// Exact log Z of a restricted Boltzmann machine by enumerating one layer and summing the other
// out analytically: with f(v, h) = k + bᵀv + cᵀh + vᵀWh (inference/model_views/rbm_parameters.h),
//   log Z = k + log Σ_h exp(cᵀh + Σ_i softplus(b_i + W_i·h))
// (or the same with the layers exchanged), so the cost is 2^n·m softplus evaluations for n free
// units in the enumerated layer and m in the other: RBMs with up to ~25 units in their smaller
// layer, whatever the size of the larger one (Salakhutdinov & Murray 2008 check AIS this way on
// RBMs with 20 and 25 hidden units). The layer with fewer free units is enumerated.
//
// Evidence: clamped units keep their states; a clamped unit of the summed layer contributes
// s·(its pre-activation) instead of a softplus.
//
// Order of the work: the enumerated configurations are split by their top bits into chunks of
// 2^12 run in parallel (oneTBB); within a chunk the configurations follow a Gray code, so each
// step adds or removes one row of W, starting from a pre-activation summed exactly for the
// chunk. Each chunk keeps its own log-sum-exp, and the chunks are combined in order: the result
// does not depend on the number of threads.
#include <cstdint>

#include "engine/compiled_model.h"

namespace dgm::inference {

// Default bound on rbm_exact_log_z's work (configurations × units summed out): about 2·10⁹
// softplus evaluations, a few seconds on one core.
inline constexpr std::int64_t kRbmLogZMaxWork = std::int64_t{1} << 31;

// The work rbm_exact_log_z would do (enumerated configurations × units summed out, saturating
// at INT64_MAX), or −1 when `model` is not an RBM with finite biases (rbm_parameters).
std::int64_t rbm_log_z_work(const engine::CompiledModel& model);

// log Z of an RBM-shaped model with its evidence (−inf when the evidence is impossible cannot
// happen: every bias is finite). Throws dgm::Error when the model is not an RBM with finite
// biases, or when the work exceeds `max_work` (the message gives both).
double rbm_exact_log_z(const engine::CompiledModel& model, std::int64_t max_work = kRbmLogZMaxWork);

}  // namespace dgm::inference
