#include "inference/model_views/rbm_layout.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "factors/binary_affine.h"

namespace dgm::inference {

using factors::FactorBlock;
using factors::FactorKind;

std::vector<double> rbm_bias_log_odds(const engine::CompiledModel& model) {
  const engine::Graph& g = *model.graph;
  std::vector<double> bias(static_cast<std::size_t>(g.num_variables()), 0.0);
  for (const FactorBlock& block : g.blocks) {
    if (block.kind == FactorKind::kBipartite) continue;
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      const double* w = model.params.values.data() + block.param_offset + r * block.param_stride;
      bias[static_cast<std::size_t>(g.scope(block.first_factor + r)[0])] +=
          factors::unary_log_odds(block.potential, w);
    }
  }
  return bias;
}

std::optional<RbmLayout> rbm_layout(const engine::CompiledModel& model) {
  const engine::Graph& g = *model.graph;
  RbmLayout layout;
  for (std::size_t i = 0; i < g.blocks.size(); ++i) {
    const FactorBlock& block = g.blocks[i];
    if (block.kind == FactorKind::kBipartite) {
      if (layout.block >= 0) return std::nullopt;  // a second bipartite block
      layout.block = static_cast<std::int32_t>(i);
      layout.visible_begin = block.left_begin;
      layout.num_visible = block.left_count;
      layout.hidden_begin = block.right_begin;
      layout.num_hidden = block.right_count;
    } else if (block.arity != 1 || !factors::has_binary_affine_form(block)) {
      return std::nullopt;  // every other block must be a bias: one binary variable per factor
    }
  }
  if (layout.block < 0) return std::nullopt;
  const std::int64_t nv = layout.num_visible, nh = layout.num_hidden;
  const bool disjoint = layout.visible_begin + nv <= layout.hidden_begin ||
                        layout.hidden_begin + nh <= layout.visible_begin;
  if (!disjoint || nv + nh != g.num_variables()) return std::nullopt;
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (g.cardinality[v] != 2) return std::nullopt;

  const FactorBlock& block = g.blocks[static_cast<std::size_t>(layout.block)];
  const double* w = model.params.values.data() + block.param_offset;
  if (!std::all_of(w, w + nv * nh, [](double x) { return std::isfinite(x); })) return std::nullopt;
  for (double b : rbm_bias_log_odds(model))
    if (std::isnan(b)) return std::nullopt;
  return layout;
}

void throw_weight_outside_float(const engine::CompiledModel& model, const RbmLayout& layout,
                                const std::int64_t k, const std::string& who) {
  const factors::FactorBlock& block = model.graph->blocks[static_cast<std::size_t>(layout.block)];
  throw Error(
      who + ": weight " + std::to_string(k / layout.num_hidden) + "," +
      std::to_string(k % layout.num_hidden) + " of '" + block.name + "' is " +
      std::to_string(model.params.values[static_cast<std::size_t>(block.param_offset + k)]) +
      "; the RBM fast paths hold the weights in float and take finite ones within ±3.4e38");
}

}  // namespace dgm::inference
