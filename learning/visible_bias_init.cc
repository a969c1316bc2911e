#include "learning/visible_bias_init.h"

#include <algorithm>
#include <cmath>

#include "factors/factor_block.h"

namespace dgm::learning {

VisibleBiasInit init_visible_log_odds_from_data(engine::CompiledModel& model,
                                                const VisibleLayout& layout, const Dataset& data) {
  const engine::Graph& g = *model.graph;
  // Column of each visible variable (−1: not in the data).
  std::vector<std::int64_t> column(static_cast<std::size_t>(g.num_variables()), -1);
  for (std::size_t c = 0; c < layout.variables.size(); ++c)
    column[static_cast<std::size_t>(layout.variables[c])] = static_cast<std::int64_t>(c);
  std::vector<double> ones(layout.variables.size(), 0.0);
  for (std::int64_t r = 0; r < data.num_examples; ++r) {
    const std::span<const std::int32_t> example = data.example(r);
    for (std::size_t c = 0; c < ones.size(); ++c) ones[c] += example[c] != 0 ? 1.0 : 0.0;
  }
  VisibleBiasInit result;
  if (data.num_examples == 0) return result;
  for (const factors::FactorBlock& block : g.blocks) {
    if (block.kind != factors::FactorKind::kUnary ||
        block.potential != factors::Potential::kLogOdds || block.param < 0 ||
        block.param_stride == 0)
      continue;
    const engine::ParamInfo& info = model.params.info[static_cast<std::size_t>(block.param)];
    if (!info.learnable) continue;
    std::int64_t set = 0;
    for (std::int64_t k = 0; k < block.num_factors; ++k) {
      const std::int32_t v = g.scope(block.first_factor + k)[0];
      const std::int64_t c = column[static_cast<std::size_t>(v)];
      if (c < 0 || g.cardinality[v] != 2) continue;
      const double p =
          std::clamp(ones[static_cast<std::size_t>(c)] / static_cast<double>(data.num_examples),
                     kBiasInitClip, 1.0 - kBiasInitClip);
      model.params.values[static_cast<std::size_t>(block.param_offset + k * block.param_stride)] =
          std::log(p / (1.0 - p));
      ++set;
    }
    if (set == 0) continue;
    result.values_set += set;
    if (std::find(result.parameters.begin(), result.parameters.end(), info.name) ==
        result.parameters.end())
      result.parameters.push_back(info.name);
  }
  if (result.values_set > 0) ++model.params.version;
  return result;
}

}  // namespace dgm::learning
