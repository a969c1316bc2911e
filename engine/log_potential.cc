#include "engine/log_potential.h"

#include <vector>

#include "factors/factor_eval.h"

namespace dgm::engine {

double total_log_potential(const CompiledModel& model, std::span<const std::int32_t> state) {
  const Graph& g = *model.graph;
  double total = g.log_constant;
  std::vector<std::int32_t> states;
  for (const auto& block : g.blocks) {
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      auto scope = g.scope(block.first_factor + r);
      states.resize(scope.size());
      for (std::size_t j = 0; j < scope.size(); ++j) states[j] = state[scope[j]];
      total += factors::log_potential(block, r, model.params.values, g.enum_configs, states);
    }
  }
  return total;
}

}  // namespace dgm::engine
