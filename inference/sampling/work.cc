#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {

bool is_free(const engine::CompiledModel& model, std::int32_t v) {
  return model.evidence.empty() || model.evidence[static_cast<std::size_t>(v)] == engine::kFree;
}

}  // namespace

std::vector<std::int64_t> conditional_costs(const engine::Graph& graph) {
  const std::int32_t n = graph.num_variables();
  std::vector<std::int64_t> cost(static_cast<std::size_t>(n));
  for (std::int32_t v = 0; v < n; ++v)
    cost[static_cast<std::size_t>(v)] =
        std::int64_t{graph.cardinality[v]} *
        (graph.var_factor_offsets[v + 1] - graph.var_factor_offsets[v]);
  return cost;
}

std::int64_t free_conditional_cost(const engine::CompiledModel& model) {
  const std::vector<std::int64_t> cost = conditional_costs(*model.graph);
  std::int64_t total = 0;
  for (std::int32_t v = 0; v < model.graph->num_variables(); ++v)
    if (is_free(model, v)) total += cost[static_cast<std::size_t>(v)];
  return total;
}

double mean_rescore_cost(const engine::CompiledModel& model) {
  const engine::Graph& g = *model.graph;
  const std::vector<std::int64_t> cost = conditional_costs(g);
  double total = 0.0;
  std::int64_t free = 0;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    if (!is_free(model, v)) continue;
    ++free;
    std::int64_t c = cost[static_cast<std::size_t>(v)];
    for (const std::int32_t u : g.neighbours_of(v)) c += cost[static_cast<std::size_t>(u)];
    total += static_cast<double>(c);
  }
  return free > 0 ? total / static_cast<double>(free) : 0.0;
}

std::int64_t bp_messages_per_iteration(const engine::Graph& graph) {
  return 2 * static_cast<std::int64_t>(graph.factor_vars.size());
}

}  // namespace dgm::inference
