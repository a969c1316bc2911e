#pragma once
// The unnormalised log-probability f(x) = log_constant + Σ_f θ_f(x_f) of a full state, by the
// generic path (every factor evaluated through factors::log_potential).
#include <cstdint>
#include <span>

#include "engine/compiled_model.h"

namespace dgm::engine {

double total_log_potential(const CompiledModel& model, std::span<const std::int32_t> state);

}  // namespace dgm::engine
