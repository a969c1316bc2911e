#include "inference/bp/bethe.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "factors/infinity.h"
#include "factors/messages.h"

namespace dgm::inference::bp {
namespace {

double log_sum_exp(std::span<const double> values) {
  const double hi = *std::max_element(values.begin(), values.end());
  if (hi == kNegInf) return kNegInf;
  double sum = 0.0;
  for (const double v : values) sum += std::exp(v - hi);
  return hi + std::log(sum);
}

double log_add(double a, double b) {
  const double values[2] = {a, b};
  return log_sum_exp(values);
}

// The max-normalised pair (m(0), m(1)) of a log-ratio r, exact for r = ±inf.
struct Pair {
  double p0, p1;
};
Pair pair_of(double r) { return r > 0.0 ? Pair{-r, 0.0} : Pair{0.0, r}; }

double ratio_mode(const BeliefPropagation& bp, std::int32_t lane) {
  const MessageGraph& g = bp.graph();
  const engine::Graph& graph = *g.graph;
  const MessageState s = bp.state();
  const std::int32_t lanes = s.lanes;
  const auto message = [&](std::int64_t e) { return s.messages[g.msg_offset[e] * lanes + lane]; };
  double total = g.log_constant;
  // Variables and edges. Messages are the pairs (0, λ); the unary is its max-normalised pair.
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    const Pair u = pair_of(s.unary[v * lanes + lane]);
    const double belief = s.beliefs[v * lanes + lane];
    double sum_lambda = 0.0;
    for (std::int64_t i = g.var_edge_offsets[v]; i < g.var_edge_offsets[v + 1]; ++i) {
      const std::int64_t e = g.var_edges[i];
      const double lambda = message(e);
      sum_lambda += lambda;
      const Pair n = pair_of(belief - lambda);
      total -= log_add(n.p0, n.p1 + lambda);
    }
    total += log_add(u.p0, u.p1 + sum_lambda);
  }
  // Factors: w·x_i·x_j with the variable-to-factor pairs.
  for (const UpdateBlock& u : g.updates) {
    for (std::int64_t r = 0; r < u.num_factors; ++r) {
      const std::int64_t e = graph.factor_offsets[u.first_factor + r];
      const std::int32_t vi = graph.factor_vars[e], vj = graph.factor_vars[e + 1];
      const Pair ni = pair_of(s.beliefs[vi * lanes + lane] - message(e));
      const Pair nj = pair_of(s.beliefs[vj * lanes + lane] - message(e + 1));
      const double w = g.couplings[u.data_offset + r * u.data_stride];
      const double terms[4] = {ni.p0 + nj.p0, ni.p0 + nj.p1, ni.p1 + nj.p0, w + ni.p1 + nj.p1};
      total += log_sum_exp(terms);
    }
  }
  return total;
}

double full_mode(const BeliefPropagation& bp, std::int32_t lane) {
  const MessageGraph& g = bp.graph();
  const engine::Graph& graph = *g.graph;
  const MessageState s = bp.state();
  const std::int32_t lanes = s.lanes;
  double total = g.log_constant;
  std::vector<double> values;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    const std::int64_t k_count = g.width(v);
    values.resize(k_count);
    for (std::int64_t k = 0; k < k_count; ++k) {
      values[k] = s.beliefs[(g.var_offset[v] + k) * lanes + lane];
    }
    const double log_z_v = log_sum_exp(values);
    if (log_z_v == kNegInf) return kNegInf;  // no possible state: the evidence is impossible
    total += log_z_v;
    for (std::int64_t i = g.var_edge_offsets[v]; i < g.var_edge_offsets[v + 1]; ++i) {
      const std::int64_t e = g.var_edges[i];
      for (std::int64_t k = 0; k < k_count; ++k) {
        values[k] =
            variable_to_factor(s, v, e, k, lane) + s.messages[(g.msg_offset[e] + k) * lanes + lane];
      }
      total -= log_sum_exp(values);
    }
  }
  std::vector<double> incoming;
  for (const UpdateBlock& u : g.updates) {
    const factors::FactorBlock& block = graph.blocks[u.block];
    for (std::int64_t r = 0; r < u.num_factors; ++r) {
      const std::int64_t f = u.first_factor + r;
      const auto scope = graph.scope(f);
      const std::int64_t e0 = graph.factor_offsets[f];
      incoming.clear();
      for (std::size_t j = 0; j < scope.size(); ++j) {
        for (std::int64_t k = 0; k < graph.cardinality[scope[j]]; ++k) {
          incoming.push_back(
              variable_to_factor(s, scope[j], e0 + static_cast<std::int64_t>(j), k, lane));
        }
      }
      const std::span<const double> data(g.tables.data() + u.data_offset + r * u.data_stride,
                                         static_cast<std::size_t>(u.data_size));
      switch (u.kind) {
        case UpdateKind::kTable:
          total += factors::dense_table_log_partition(data, u.cards, incoming);
          break;
        case UpdateKind::kEnumeration:
          total += factors::enumeration_log_partition(
              std::span<const std::int32_t>(graph.enum_configs)
                  .subspan(block.config_offset, block.num_configs * block.arity),
              block.num_configs, data, u.cards, incoming);
          break;
        case UpdateKind::kOr:
          total += factors::or_log_partition(incoming);
          break;
        case UpdateKind::kAnd:
          total += factors::and_log_partition(incoming);
          break;
        default:
          break;
      }
    }
  }
  return total;
}

}  // namespace

double bethe_log_z(const BeliefPropagation& bp, std::int32_t lane) {
  const double value =
      bp.graph().mode == MessageMode::kBinaryRatio ? ratio_mode(bp, lane) : full_mode(bp, lane);
  return std::isnan(value) ? kNegInf : value;
}

}  // namespace dgm::inference::bp
