#include "learning/sufficient_statistics.h"

#include <vector>

#include "factors/factor_eval.h"

namespace dgm::learning {

void accumulate_statistics(const engine::CompiledModel& model, std::span<const std::int32_t> state,
                           double weight, std::span<double> statistics) {
  const engine::Graph& g = *model.graph;
  std::vector<std::int32_t> x;
  for (const auto& block : g.blocks) {
    if (block.param < 0) continue;  // logical factors and unweighted enumerations
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      auto scope = g.scope(block.first_factor + r);
      x.resize(scope.size());
      for (std::size_t j = 0; j < scope.size(); ++j) x[j] = state[scope[j]];
      factors::add_statistics(block, r, g.enum_configs, x, weight, statistics);
    }
  }
}

}  // namespace dgm::learning
