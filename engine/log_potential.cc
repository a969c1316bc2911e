#include "engine/log_potential.h"

#include <limits>
#include <vector>

#include "factors/factor_eval.h"
#include "factors/infinity.h"

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

bool kinds_allow_every_state(const Graph& graph) {
  for (const factors::FactorBlock& block : graph.blocks)
    if (block.kind == factors::FactorKind::kEnumeration || block.kind == factors::FactorKind::kOr ||
        block.kind == factors::FactorKind::kAnd)
      return false;
  return true;
}

bool every_state_possible(const CompiledModel& model) {
  if (!kinds_allow_every_state(*model.graph)) return false;
  for (const double v : model.params.values)
    if (v == -std::numeric_limits<double>::infinity()) return false;
  return true;
}

std::string zero_probability_reason(const CompiledModel& model,
                                    std::span<const std::int32_t> state) {
  const Graph& g = *model.graph;
  std::vector<std::int32_t> states;
  for (const auto& block : g.blocks)
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      auto scope = g.scope(block.first_factor + r);
      states.resize(scope.size());
      for (std::size_t j = 0; j < scope.size(); ++j) states[j] = state[scope[j]];
      const double theta =
          factors::log_potential(block, r, model.params.values, g.enum_configs, states);
      if (theta != kNegInf) continue;
      std::string where;
      for (std::size_t j = 0; j < scope.size(); ++j)
        where += (j ? ", " : "") + g.variable_name(scope[j]) + "=" + std::to_string(states[j]);
      return "factor " + std::to_string(r) + " of group '" + block.name + "' forbids (" + where +
             ")";
    }
  return "";
}

}  // namespace dgm::engine
