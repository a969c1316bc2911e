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
// True when no state can have probability zero: no factor kind that forbids configurations
// (enumeration, logical) and no −inf parameter value. O(blocks + parameter values): the cheap
// test that lets a check of many states skip evaluating each one.
bool every_state_possible(const CompiledModel& model);
// Its structural half: no factor kind of `graph` forbids configurations (enumeration, logical),
// so a state has probability zero only through a −inf parameter value.
bool kinds_allow_every_state(const Graph& graph);

std::string zero_probability_reason(const CompiledModel& model,
                                    std::span<const std::int32_t> state);

}  // namespace dgm::engine
