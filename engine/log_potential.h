#pragma once
// The unnormalised log-probability f(x) = log_constant + Σ_f θ_f(x_f) of a full state, by the
// generic path (every factor evaluated through factors::log_potential), and why it is −∞ when
// it is.
#include <cstdint>
#include <span>
#include <string>

#include "engine/compiled_model.h"

namespace dgm::engine {

double total_log_potential(const CompiledModel& model, std::span<const std::int32_t> state);

// "" when `state` has positive probability, else a description of a factor that forbids it
// ("factor 0 of group 'or' forbids (a=1, c=0)").
std::string zero_probability_reason(const CompiledModel& model,
                                    std::span<const std::int32_t> state);

}  // namespace dgm::engine
