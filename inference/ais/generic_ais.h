#pragma once
// AIS on any factor graph (inference/ais/ais.h): each run's transition at β is one systematic
// sweep of single-site Gibbs updates over the free variables, in id order, each drawn from
//   log p_β(x_v = k | x_{−v}) = (1 − β)·u_v(k) + β·Σ_{f ∋ v} θ_f(x_f with x_v = k) + const
// (the factor terms from the generic conditional, inference/model_views/conditional.h; β > 0,
// so a −∞ term stays −∞ and is never drawn). A run keeps f_1(x) and f_0(x) and moves them by
// the drawn state's terms, recomputing both from scratch every 1,024 βs so that rounding never
// accumulates; its log weight grows by (β_k − β_{k−1})·(f_1(x) − f_0(x)).
//
// Runs are independent tasks (oneTBB), a block of βs at a time between progress reports; a
// run's numbers depend on its own stream only.
#include <cstdint>
#include <span>

#include "engine/compiled_model.h"
#include "inference/ais/ais.h"
#include "inference/ais/base_model.h"

namespace dgm::inference {

// Runs options.runs annealing runs over `betas` and writes their log weights. Returns the
// number of βs done (betas.size() unless options.stop asked to stop).
std::int64_t run_generic_ais(const engine::CompiledModel& model, const BaseModel& base,
                             std::span<const double> betas, const AisOptions& options,
                             std::span<double> log_weights);

}  // namespace dgm::inference
