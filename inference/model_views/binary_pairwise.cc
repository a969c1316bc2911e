#include "inference/model_views/binary_pairwise.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

namespace dgm::inference {

bool BinaryPairwise::eligible(const engine::Graph& graph) {
  using factors::FactorKind;
  using factors::Potential;
  for (std::int32_t k : graph.cardinality)
    if (k != 2) return false;
  for (const factors::FactorBlock& block : graph.blocks) {
    if (block.num_factors == 0) continue;
    const bool dense_kind =
        block.kind == FactorKind::kUnary || block.kind == FactorKind::kPairwise ||
        block.kind == FactorKind::kTable || block.kind == FactorKind::kBipartite;
    const bool parametrised = block.potential == Potential::kTable ||
                              block.potential == Potential::kLogOdds ||
                              block.potential == Potential::kSpin ||
                              (block.potential == Potential::kPotts && block.arity == 2);
    if (!dense_kind || !parametrised || block.arity < 1 || block.arity > 2) return false;
  }
  return true;
}

BinaryPairwise::BinaryPairwise(const engine::CompiledModel& model)
    : model_(&model),
      offsets_(model.graph->neighbour_offsets.data()),
      neighbours_(model.graph->neighbours.data()) {
  refresh();
}

bool BinaryPairwise::refresh() {
  using factors::Potential;
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
        const std::int32_t a = scope[0];
        switch (block.potential) {
          case Potential::kTable:
            bias_[a] += w[1] - w[0];
            break;
          case Potential::kLogOdds:
            bias_[a] += w[0];
            break;
          case Potential::kSpin:
            bias_[a] += 2.0 * w[0];
            break;
          default:
            break;
        }
        continue;
      }
      const std::int32_t a = scope[0], b = scope[1];
      double coupling = 0.0, bias_a = 0.0, bias_b = 0.0;
      switch (block.potential) {
        case Potential::kTable:  // M[x_a][x_b] at w[2·x_a + x_b]
          coupling = w[3] - w[1] - w[2] + w[0];
          bias_a = w[2] - w[0];
          bias_b = w[1] - w[0];
          break;
        case Potential::kLogOdds:
          coupling = w[0];
          break;
        case Potential::kSpin:
          coupling = 4.0 * w[0];
          bias_a = bias_b = -2.0 * w[0];
          break;
        case Potential::kPotts:
          coupling = 2.0 * w[0];
          bias_a = bias_b = -w[0];
          break;
        default:
          break;
      }
      bias_[a] += bias_a;
      bias_[b] += bias_b;
      add_coupling(a, b, coupling);
      add_coupling(b, a, coupling);
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
