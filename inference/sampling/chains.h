#pragma once
// A batch of B chains of a model: one B × N array of states (row-major: chain b's state is
// row b). Every sampler advances all chains at once.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/compiled_model.h"
#include "engine/log_potential.h"

namespace dgm::inference {

class Chains {
 public:
  Chains() = default;
  Chains(std::int32_t num_chains, std::int32_t num_variables)
      : num_chains_(num_chains),
        num_variables_(num_variables),
        states_(static_cast<std::size_t>(num_chains) * num_variables, 0) {}

  std::int32_t num_chains() const { return num_chains_; }
  std::int32_t num_variables() const { return num_variables_; }
  std::span<std::int32_t> chain(std::int32_t b) {
    return {states_.data() + static_cast<std::size_t>(b) * num_variables_,
            static_cast<std::size_t>(num_variables_)};
  }
  std::span<const std::int32_t> chain(std::int32_t b) const {
    return {states_.data() + static_cast<std::size_t>(b) * num_variables_,
            static_cast<std::size_t>(num_variables_)};
  }
  std::span<std::int32_t> states() { return states_; }
  std::span<const std::int32_t> states() const { return states_; }

 private:
  std::int32_t num_chains_ = 0;
  std::int32_t num_variables_ = 0;
  std::vector<std::int32_t> states_;
};

// Every chain uniformly at random (reproducibly from `seed`), evidence clamped.
void init_uniform(Chains& chains, const engine::CompiledModel& model, std::uint64_t seed);

// Chain b starts from rows[b mod rows]; each row is a full state (N values). Evidence is
// applied over the rows. Throws dgm::Error naming the row, variable and value when a state is
// out of range, and `source` (a file name) in the message.
void init_from_rows(Chains& chains, const engine::CompiledModel& model,
                    std::span<const std::int32_t> rows, std::int64_t num_rows,
                    const std::string& source);

// A model-level function (engine/log_potential.h), named here too for the callers of the
// chain checks below.
using engine::zero_probability_reason;

// Replaces the start of every chain whose state has probability zero by `valid` (a full state
// of positive probability, e.g. the exact MAP state). Returns how many chains were replaced.
std::int32_t replace_impossible_starts(Chains& chains, const engine::CompiledModel& model,
                                       std::span<const std::int32_t> valid);

// Throws dgm::Error naming the chain and a violated factor when a chain's state has
// probability zero (a hard constraint or a −inf table entry), since single-site samplers
// cannot leave such a state correctly.
void require_positive_probability(const Chains& chains, const engine::CompiledModel& model);

}  // namespace dgm::inference
