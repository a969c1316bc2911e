#pragma once
// The check every sampler makes before touching a batch of chains.
#include <string>
#include <string_view>

#include "engine/compiled_model.h"
#include "engine/error.h"
#include "inference/sampling/chains.h"

namespace dgm::inference {

// Throws dgm::Error when the chains' states are not states of `model` (wrong number of
// variables).
inline void check_chain_shape(const Chains& chains, const engine::CompiledModel& model,
                              std::string_view sampler) {
  if (chains.num_variables() != model.graph->num_variables())
    throw Error(std::string(sampler) + ": the chains have " +
                std::to_string(chains.num_variables()) + " variables but the model has " +
                std::to_string(model.graph->num_variables()));
}

}  // namespace dgm::inference
