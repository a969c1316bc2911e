#include "inference/bp/message_graph.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "engine/error.h"
#include "factors/binary_affine.h"
#include "factors/factor_eval.h"
#include "factors/infinity.h"

namespace dgm::inference::bp {
namespace {

using factors::FactorBlock;
using factors::FactorKind;

bool is_binary_pairwise(const FactorBlock& block) {
  return block.arity == 2 && factors::has_binary_affine_form(block);
}

// Whether the ratio representation applies: all variables binary, every message-carrying
// factor binary pairwise with finite entries.
bool ratio_mode_applies(const engine::CompiledModel& model) {
  const engine::Graph& g = *model.graph;
  for (const std::int32_t k : g.cardinality)
    if (k != 2) return false;
  std::span<const double> params = model.params.values;
  double table[4];
  for (const FactorBlock& block : g.blocks) {
    if (block.kind == FactorKind::kUnary) continue;
    if (!is_binary_pairwise(block)) return false;
    const std::int64_t distinct = block.param_stride == 0 ? 1 : block.num_factors;
    for (std::int64_t r = 0; r < distinct; ++r) {
      factors::fill_table(block, r, params, g.enum_configs, block.cards, table);
      for (const double v : table)
        if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

// Σ over the factors of update block `u` (full mode) of max − min of their finite
// log-potentials; OR, AND and unweighted enumeration factors are 0 or −inf only.
double finite_range_of_block(const MessageGraph& mg, const UpdateBlock& u) {
  if (u.kind == UpdateKind::kOr || u.kind == UpdateKind::kAnd || u.data_size == 0) return 0.0;
  const auto range = [&](std::int64_t r) {
    double lo = kPosInf, hi = kNegInf;
    for (std::int64_t i = 0; i < u.data_size; ++i) {
      const double x = mg.tables[u.data_offset + r * u.data_stride + i];
      if (x == kNegInf) continue;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    return hi == kNegInf ? 0.0 : hi - lo;
  };
  if (u.data_stride == 0) return range(0) * static_cast<double>(u.num_factors);
  double total = 0.0;
  for (std::int64_t r = 0; r < u.num_factors; ++r) total += range(r);
  return total;
}

}  // namespace

std::shared_ptr<const MessageGraph> build_message_graph(const engine::CompiledModel& model,
                                                        bool generic_only) {
  const engine::Graph& g = *model.graph;
  auto mg = std::make_shared<MessageGraph>();
  mg->graph = model.graph;
  mg->mode =
      !generic_only && ratio_mode_applies(model) ? MessageMode::kBinaryRatio : MessageMode::kFull;
  const bool ratio = mg->mode == MessageMode::kBinaryRatio;
  const std::int32_t n = g.num_variables();
  std::span<const double> params = model.params.values;

  // Variable layout.
  mg->var_offset.assign(n + 1, 0);
  for (std::int32_t v = 0; v < n; ++v) {
    mg->var_offset[v + 1] = mg->var_offset[v] + (ratio ? 1 : g.cardinality[v]);
  }

  // Edge layout: unary factors' edges get no entries.
  const std::int64_t num_edges = static_cast<std::int64_t>(g.factor_vars.size());
  std::vector<std::uint8_t> is_unary_edge(num_edges, 0);
  for (const FactorBlock& block : g.blocks) {
    if (block.kind != FactorKind::kUnary) continue;
    for (std::int64_t e = g.factor_offsets[block.first_factor];
         e < g.factor_offsets[block.end_factor()]; ++e) {
      is_unary_edge[e] = 1;
    }
  }
  mg->msg_offset.assign(num_edges + 1, 0);
  for (std::int64_t e = 0; e < num_edges; ++e) {
    const std::int64_t w = is_unary_edge[e] ? 0 : (ratio ? 1 : g.cardinality[g.factor_vars[e]]);
    mg->msg_offset[e + 1] = mg->msg_offset[e] + w;
    mg->num_message_edges += !is_unary_edge[e];
  }
  mg->var_edge_offsets.assign(n + 1, 0);
  for (std::int32_t v = 0; v < n; ++v) {
    const auto factors_of = g.factors_of(v);
    const auto slots = g.slots_of(v);
    for (std::size_t i = 0; i < factors_of.size(); ++i) {
      const std::int64_t e = g.factor_offsets[factors_of[i]] + slots[i];
      if (!is_unary_edge[e]) mg->var_edges.push_back(e);
    }
    mg->var_edge_offsets[v + 1] = static_cast<std::int64_t>(mg->var_edges.size());
  }

  // Unary vectors, in full form first (K entries per variable).
  std::vector<double> full_unary(g.state_offset[n], 0.0);
  mg->log_constant = g.log_constant;
  std::vector<std::int32_t> state(1);
  for (const FactorBlock& block : g.blocks) {
    if (block.kind != FactorKind::kUnary) continue;
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      const std::int32_t v = g.factor_vars[g.factor_offsets[block.first_factor + r]];
      for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
        state[0] = k;
        full_unary[g.state_offset[v] + k] +=
            factors::log_potential(block, r, params, g.enum_configs, state);
      }
    }
  }
  for (std::int32_t v = 0; v < n; ++v) {
    const std::int32_t clamped = model.evidence.empty() ? engine::kFree : model.evidence[v];
    if (clamped == engine::kFree) continue;
    for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
      if (k != clamped) full_unary[g.state_offset[v] + k] = kNegInf;
    }
  }

  // Update blocks; in ratio mode the factors' unary parts join full_unary.
  if (ratio) mg->initial_messages.assign(mg->msg_offset.back(), 0.0);
  for (std::size_t b = 0; b < g.blocks.size(); ++b) {
    const FactorBlock& block = g.blocks[b];
    if (block.kind == FactorKind::kUnary || block.num_factors == 0) continue;
    UpdateBlock u;
    u.block = static_cast<std::int32_t>(b);
    u.first_factor = block.first_factor;
    u.num_factors = block.num_factors;
    mg->num_message_factors += block.num_factors;
    const bool shared = block.param_stride == 0 || block.param < 0;
    const std::int64_t distinct = shared ? 1 : block.num_factors;
    if (ratio) {
      u.kind = block.kind == FactorKind::kBipartite ? UpdateKind::kBipartiteCoupling
                                                    : UpdateKind::kCoupling;
      u.data_offset = static_cast<std::int64_t>(mg->couplings.size());
      u.data_stride = shared ? 0 : 1;
      u.data_size = 1;
      for (std::int64_t r = 0; r < block.num_factors; ++r) {
        // θ(x_i, x_j) = c + a·x_i + b·x_j + w·x_i·x_j (factors/binary_affine.h).
        const factors::PairwiseAffine f = factors::pairwise_affine(
            block.potential, params.data() + block.param_offset + r * block.param_stride);
        const auto scope = g.scope(block.first_factor + r);
        full_unary[g.state_offset[scope[0]] + 1] += f.bias_a;
        full_unary[g.state_offset[scope[1]] + 1] += f.bias_b;
        const std::int64_t e = g.factor_offsets[block.first_factor + r];
        mg->initial_messages[mg->msg_offset[e]] = -f.bias_a;
        mg->initial_messages[mg->msg_offset[e + 1]] = -f.bias_b;
        mg->log_constant += f.constant;
        if (r < distinct) mg->couplings.push_back(f.coupling);
      }
    } else {
      switch (block.kind) {
        case FactorKind::kOr:
          u.kind = UpdateKind::kOr;
          break;
        case FactorKind::kAnd:
          u.kind = UpdateKind::kAnd;
          break;
        case FactorKind::kEnumeration:
          u.kind = UpdateKind::kEnumeration;
          u.cards = block.cards;
          u.has_weights = block.param >= 0;
          u.data_offset = static_cast<std::int64_t>(mg->tables.size());
          u.data_size = u.has_weights ? block.num_configs : 0;
          u.data_stride = shared ? 0 : u.data_size;
          if (u.has_weights) {
            for (std::int64_t r = 0; r < distinct; ++r) {
              const double* w = params.data() + block.param_offset + r * block.param_stride;
              mg->tables.insert(mg->tables.end(), w, w + block.num_configs);
            }
          }
          break;
        default:
          u.kind = UpdateKind::kTable;
          u.cards = block.cards;
          u.data_offset = static_cast<std::int64_t>(mg->tables.size());
          u.data_size = block.table_size;
          u.data_stride = shared ? 0 : block.table_size;
          mg->tables.resize(mg->tables.size() + distinct * block.table_size);
          for (std::int64_t r = 0; r < distinct; ++r) {
            factors::fill_table(
                block, r, params, g.enum_configs, block.cards,
                std::span<double>(mg->tables.data() + u.data_offset + r * block.table_size,
                                  block.table_size));
          }
          break;
      }
    }
    if (!ratio) mg->factor_range += finite_range_of_block(*mg, u);
    mg->updates.push_back(std::move(u));
  }

  // Normalise the unaries (max 0, the max into the constant) and convert to the mode's form.
  mg->unary.assign(mg->var_offset[n], 0.0);
  for (std::int32_t v = 0; v < n; ++v) {
    const std::span<double> u(full_unary.data() + g.state_offset[v], g.cardinality[v]);
    const double hi = *std::max_element(u.begin(), u.end());
    if (hi == kNegInf) {
      throw Error("variable " + g.variable_name(v) +
                  " has no possible state: its unary factors and evidence give every state "
                  "probability zero");
    }
    mg->log_constant += hi;
    for (double& x : u) x -= hi;
    if (ratio) {
      mg->unary[v] = u[1] - u[0];  // one of them is 0, so never inf − inf
    } else {
      std::copy(u.begin(), u.end(), mg->unary.begin() + mg->var_offset[v]);
    }
  }
  return mg;
}

}  // namespace dgm::inference::bp
