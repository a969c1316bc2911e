#include "learning/sufficient_statistics.h"

#include <vector>

#include "factors/enumeration.h"
#include "factors/table_layout.h"

namespace dgm::learning {

using factors::Potential;

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
      double* w = statistics.data() + block.param_offset + r * block.param_stride;
      switch (block.potential) {
        case Potential::kTable:
          w[factors::flat_index(block.cards, x)] += weight;
          break;
        case Potential::kLogOdds: {
          bool all = true;
          for (std::int32_t s : x) all = all && s != 0;
          if (all) w[0] += weight;
          break;
        }
        case Potential::kSpin: {
          int sign = 1;
          for (std::int32_t s : x)
            if (s == 0) sign = -sign;
          w[0] += sign * weight;
          break;
        }
        case Potential::kPotts:
          if (x[0] == x[1]) w[0] += weight;
          break;
        case Potential::kEnumerated: {
          const std::int64_t c = factors::find_configuration(
              std::span<const std::int32_t>(g.enum_configs)
                  .subspan(block.config_offset, block.num_configs * block.arity),
              block.num_configs, x);
          if (c >= 0) w[c] += weight;
          break;
        }
        case Potential::kNone:
          break;
      }
    }
  }
}

}  // namespace dgm::learning
