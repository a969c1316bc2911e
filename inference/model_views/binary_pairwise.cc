#include "inference/model_views/binary_pairwise.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "factors/binary_affine.h"

namespace dgm::inference {

bool BinaryPairwise::eligible(const engine::Graph& graph) {
  for (std::int32_t k : graph.cardinality)
    if (k != 2) return false;
  for (const factors::FactorBlock& block : graph.blocks)
    if (block.num_factors > 0 && !factors::has_binary_affine_form(block)) return false;
  return true;
}

BinaryPairwise::BinaryPairwise(const engine::CompiledModel& model)
    : model_(&model),
      offsets_(model.graph->neighbour_offsets.data()),
      neighbours_(model.graph->neighbours.data()) {
  refresh();
}

bool BinaryPairwise::refresh() {
  const engine::Graph& g = *model_->graph;
  const double* values = model_->params.values.data();
  bias_.assign(static_cast<std::size_t>(g.num_variables()), 0.0);
  coupling_.assign(g.neighbours.size(), 0.0);
  auto add_coupling = [&](std::int32_t a, std::int32_t b, double w) {
    const std::int32_t* first = g.neighbours.data() + g.neighbour_offsets[a];
    const std::int32_t* last = g.neighbours.data() + g.neighbour_offsets[a + 1];
    coupling_[static_cast<std::size_t>(std::lower_bound(first, last, b) - g.neighbours.data())] +=
        w;
  };
  for (const factors::FactorBlock& block : g.blocks) {
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      const double* w = values + block.param_offset + r * block.param_stride;
      const auto scope = g.scope(block.first_factor + r);
      if (block.arity == 1) {
        bias_[scope[0]] += factors::unary_log_odds(block.potential, w);
        continue;
      }
      const factors::PairwiseAffine f = factors::pairwise_affine(block.potential, w);
      bias_[scope[0]] += f.bias_a;
      bias_[scope[1]] += f.bias_b;
      add_coupling(scope[0], scope[1], f.coupling);
      add_coupling(scope[1], scope[0], f.coupling);
    }
  }
  auto all_finite = [](const std::vector<double>& v) {
    return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
  };
  finite_ = all_finite(bias_) && all_finite(coupling_);
  build_rows();
  return finite_;
}

void BinaryPairwise::build_rows() {
  const engine::Graph& g = *model_->graph;
  const std::int32_t n = g.num_variables();
  row_.resize(static_cast<std::size_t>(n));
  row_bias_.clear();
  row_first_.clear();
  row_coupling_.clear();
  // Key: the bytes of (bias, couplings), so rows match bit for bit (0.0 and −0.0 differ).
  std::unordered_map<std::string, std::int32_t> index;
  std::string key;
  for (std::int32_t v = 0; v < n; ++v) {
    const std::int64_t begin = g.neighbour_offsets[v], end = g.neighbour_offsets[v + 1];
    key.assign(reinterpret_cast<const char*>(&bias_[v]), sizeof(double));
    key.append(reinterpret_cast<const char*>(coupling_.data() + begin),
               static_cast<std::size_t>(end - begin) * sizeof(double));
    const auto [it, added] = index.try_emplace(key, static_cast<std::int32_t>(row_bias_.size()));
    if (added) {
      row_bias_.push_back(bias_[v]);
      row_first_.push_back(static_cast<std::int64_t>(row_coupling_.size()));
      row_coupling_.insert(row_coupling_.end(), coupling_.begin() + begin, coupling_.begin() + end);
    }
    row_[v] = it->second;
  }
}

}  // namespace dgm::inference
