#pragma once
// Sufficient statistics in parameter space: φ(x) = ∂f(x)/∂θ for every parameter value θ of the
// model, where f(x) = Σ_f θ_f(x_f). Maximum-likelihood gradients are E_data[φ] − E_model[φ]
// (Koller & Friedman 2009, §20.3); tied parameters collect the statistics of every factor that
// shares them, because f is linear in each parameter value.
#include <cstdint>
#include <span>

#include "engine/compiled_model.h"

namespace dgm::learning {

// Adds weight·φ(state) to `statistics` (one entry per element of params.values).
void accumulate_statistics(const engine::CompiledModel& model, std::span<const std::int32_t> state,
                           double weight, std::span<double> statistics);

}  // namespace dgm::learning
