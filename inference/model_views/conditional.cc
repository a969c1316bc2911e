#include "inference/model_views/conditional.h"

#include <algorithm>
#include <limits>

#include "factors/enumeration.h"
#include "factors/logical.h"
#include "factors/potential.h"
#include "factors/table_layout.h"

namespace dgm::inference {

namespace {
// Enumeration blocks whose dense table has at most this many entries get a dense row index
// (4 bytes per entry); larger ones a sorted (key, row) list searched by bisection.
constexpr std::int64_t kDenseEnumerationLimit = std::int64_t{1} << 20;
}  // namespace

Conditional::Conditional(const engine::CompiledModel& model)
    : model_(&model), graph_(model.graph.get()) {
  using factors::FactorKind;
  using factors::Potential;
  const engine::Graph& g = *graph_;
  for (std::int32_t k : g.cardinality) max_cardinality_ = std::max(max_cardinality_, k);
  blocks_.reserve(g.blocks.size());
  for (std::size_t b = 0; b < g.blocks.size(); ++b) {
    const factors::FactorBlock& block = g.blocks[b];
    BlockEval e;
    e.first_factor = block.first_factor;
    if (block.param >= 0) {
      e.weighted = true;
      e.param_offset = block.param_offset;
      e.param_stride = block.param_stride;
    }
    e.arity = block.arity;
    auto add_strides = [&] {
      e.strides_offset = static_cast<std::int64_t>(strides_.size());
      const auto s = factors::row_major_strides(block.cards);
      strides_.insert(strides_.end(), s.begin(), s.end());
    };
    switch (block.kind) {
      case FactorKind::kOr:
        e.eval = Eval::kOr;
        break;
      case FactorKind::kAnd:
        e.eval = Eval::kAnd;
        break;
      case FactorKind::kEnumeration: {
        e.eval = Eval::kEnumeration;
        e.config_offset = block.config_offset;
        e.num_configs = block.num_configs;
        const std::int32_t* rows = g.enum_configs.data() + block.config_offset;
        if (block.table_size > 0) {
          add_strides();
          auto key_of = [&](std::int64_t c) {
            return factors::flat_index(
                block.cards, {rows + c * block.arity, static_cast<std::size_t>(block.arity)});
          };
          if (block.table_size <= kDenseEnumerationLimit) {
            e.dense_offset = static_cast<std::int64_t>(enum_dense_.size());
            enum_dense_.resize(enum_dense_.size() + block.table_size, -1);
            for (std::int64_t c = 0; c < block.num_configs; ++c)
              enum_dense_[e.dense_offset + key_of(c)] = static_cast<std::int32_t>(c);
          } else {
            e.sorted_offset = static_cast<std::int64_t>(enum_sorted_.size());
            for (std::int64_t c = 0; c < block.num_configs; ++c)
              enum_sorted_.emplace_back(key_of(c), static_cast<std::int32_t>(c));
            std::sort(enum_sorted_.begin() + e.sorted_offset, enum_sorted_.end());
          }
        }
        break;
      }
      case FactorKind::kUnary:
      case FactorKind::kPairwise:
      case FactorKind::kTable:
      case FactorKind::kBipartite:
        switch (block.potential) {
          case Potential::kLogOdds:
            e.eval = Eval::kLogOdds;
            break;
          case Potential::kSpin:
            e.eval = Eval::kSpin;
            break;
          case Potential::kPotts:
            e.eval = Eval::kPotts;
            break;
          case Potential::kTable:
          case Potential::kNone:
          case Potential::kEnumerated:
            if (block.arity == 1) {
              e.eval = Eval::kUnaryTable;
            } else if (block.arity == 2) {
              e.eval = Eval::kPairTable;
              e.second_card = block.cards[1];
            } else {
              e.eval = Eval::kTable;
              add_strides();
            }
            break;
        }
        break;
    }
    blocks_.push_back(e);
  }
}

std::pair<std::int64_t, std::int64_t> Conditional::flat_index_line(
    const BlockEval& e, std::span<const std::int32_t> scope, std::int32_t slot,
    std::span<const std::int32_t> x) const {
  const std::int64_t* stride = strides_.data() + e.strides_offset;
  std::int64_t base = 0;
  for (std::size_t j = 0; j < scope.size(); ++j)
    if (static_cast<std::int32_t>(j) != slot) base += x[scope[j]] * stride[j];
  return {base, stride[slot]};
}

void Conditional::add_enumeration(const BlockEval& e, const double* w,
                                  std::span<const std::int32_t> scope, std::int32_t slot,
                                  std::span<const std::int32_t> x, std::span<double> out) const {
  const double* weights = e.weighted ? w : nullptr;
  auto add_row = [&](std::size_t k, std::int64_t row) {
    out[k] += factors::enumeration_row_log_potential(row, weights);
  };
  if (e.dense_offset >= 0 || e.sorted_offset >= 0) {
    const auto [base, step] = flat_index_line(e, scope, slot, x);
    for (std::size_t k = 0; k < out.size(); ++k) {
      const std::int64_t key = base + static_cast<std::int64_t>(k) * step;
      if (e.dense_offset >= 0) {
        add_row(k, enum_dense_[e.dense_offset + key]);
      } else {
        const auto first = enum_sorted_.begin() + e.sorted_offset;
        const auto last = first + e.num_configs;
        const auto it = std::lower_bound(
            first, last,
            std::pair<std::int64_t, std::int32_t>(key, std::numeric_limits<std::int32_t>::min()));
        add_row(k, it != last && it->first == key ? it->second : -1);
      }
    }
    return;
  }
  // Tables too large to index by a 64-bit key: scan the rows, substituting k at `slot`.
  const std::int32_t* rows = graph_->enum_configs.data() + e.config_offset;
  for (std::size_t k = 0; k < out.size(); ++k) {
    std::int64_t found = -1;
    for (std::int64_t c = 0; c < e.num_configs && found < 0; ++c) {
      const std::int32_t* row = rows + c * e.arity;
      std::size_t j = 0;
      while (j < scope.size() &&
             row[j] == (static_cast<std::int32_t>(j) == slot ? static_cast<std::int32_t>(k)
                                                             : x[scope[j]]))
        ++j;
      if (j == scope.size()) found = c;
    }
    add_row(k, found);
  }
}

void Conditional::log_probabilities(std::int32_t v, std::span<const std::int32_t> x,
                                    std::span<double> out_all) const {
  const engine::Graph& g = *graph_;
  const std::span<double> out = out_all.first(static_cast<std::size_t>(g.cardinality[v]));
  std::fill(out.begin(), out.end(), 0.0);
  const double* values = model_->params.values.data();
  const std::int64_t begin = g.var_factor_offsets[v], end = g.var_factor_offsets[v + 1];
  for (std::int64_t i = begin; i < end; ++i) {
    const std::int32_t f = g.var_factors[i];
    const std::int32_t slot = g.var_slots[i];
    const BlockEval& e = blocks_[g.block_index(f)];
    // Unweighted blocks have offset and stride 0 and never read w.
    const double* w = values + e.param_offset + (f - e.first_factor) * e.param_stride;
    const std::span<const std::int32_t> scope = g.scope(f);
    const auto state_at = [&](std::size_t j) { return x[scope[j]]; };
    switch (e.eval) {
      case Eval::kUnaryTable:
        factors::add_unary_table_term(w, out);
        break;
      case Eval::kPairTable:
        factors::add_pair_table_term(w, e.second_card, slot, x[scope[1 - slot]], out);
        break;
      case Eval::kTable: {
        const auto [base, step] = flat_index_line(e, scope, slot, x);
        factors::add_table_line_term(w, base, step, out);
        break;
      }
      case Eval::kLogOdds:
        factors::add_log_odds_term(w[0], scope.size(), static_cast<std::size_t>(slot), state_at,
                                   out);
        break;
      case Eval::kSpin:
        factors::add_spin_term(w[0], scope.size(), static_cast<std::size_t>(slot), state_at, out);
        break;
      case Eval::kPotts:
        factors::add_potts_term(w[0], x[scope[1 - slot]], out);
        break;
      case Eval::kEnumeration:
        add_enumeration(e, w, scope, slot, x, out);
        break;
      case Eval::kOr:
        factors::add_logical_term(factors::FactorKind::kOr, scope.size(),
                                  static_cast<std::size_t>(slot), state_at, out);
        break;
      case Eval::kAnd:
        factors::add_logical_term(factors::FactorKind::kAnd, scope.size(),
                                  static_cast<std::size_t>(slot), state_at, out);
        break;
    }
  }
}

}  // namespace dgm::inference
