#include "factors/factor_eval.h"

#include <algorithm>
#include <vector>

#include "factors/enumeration.h"
#include "factors/infinity.h"
#include "factors/logical.h"
#include "factors/potential.h"

namespace dgm::factors {

namespace {
const double* factor_params(const FactorBlock& block, std::int64_t r,
                            std::span<const double> params) {
  if (block.param < 0) return nullptr;
  return params.data() + block.param_offset + r * block.param_stride;
}
}  // namespace

double log_potential(const FactorBlock& block, std::int64_t r, std::span<const double> params,
                     std::span<const std::int32_t> enum_configs,
                     std::span<const std::int32_t> states) {
  switch (block.kind) {
    case FactorKind::kOr:
    case FactorKind::kAnd:
      return logical_log_potential(block.kind, states);
    case FactorKind::kEnumeration:
      return enumeration_log_potential(
          enum_configs.subspan(block.config_offset, block.num_configs * block.arity),
          block.num_configs, factor_params(block, r, params), states);
    case FactorKind::kUnary:
    case FactorKind::kPairwise:
    case FactorKind::kTable:
    case FactorKind::kBipartite:
      return evaluate_potential(block.potential, factor_params(block, r, params), block.cards,
                                states);
  }
  return 0.0;
}

void fill_table(const FactorBlock& block, std::int64_t r, std::span<const double> params,
                std::span<const std::int32_t> enum_configs, std::span<const std::int32_t> cards,
                std::span<double> out) {
  if (block.kind == FactorKind::kEnumeration) {
    std::fill(out.begin(), out.end(), kNegInf);
    const double* w = factor_params(block, r, params);
    const std::int32_t* rows = enum_configs.data() + block.config_offset;
    for (std::int64_t c = 0; c < block.num_configs; ++c) {
      std::span<const std::int32_t> row(rows + c * block.arity, block.arity);
      out[flat_index(cards, row)] = w != nullptr ? w[c] : 0.0;
    }
    return;
  }
  if (block.potential == Potential::kTable) {
    const double* w = factor_params(block, r, params);
    std::copy(w, w + out.size(), out.begin());
    return;
  }
  std::vector<std::int32_t> states(cards.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    unravel_index(cards, static_cast<std::int64_t>(i), states);
    out[i] = log_potential(block, r, params, enum_configs, states);
  }
}

void add_statistics(const FactorBlock& block, std::int64_t r,
                    std::span<const std::int32_t> enum_configs,
                    std::span<const std::int32_t> states, double weight,
                    std::span<double> statistics) {
  if (block.param < 0) return;
  double* phi = statistics.data() + block.param_offset + r * block.param_stride;
  if (block.kind == FactorKind::kEnumeration) {
    add_enumeration_statistics(
        enum_configs.subspan(block.config_offset, block.num_configs * block.arity),
        block.num_configs, states, weight, phi);
    return;
  }
  add_potential_statistics(block.potential, block.cards, states, weight, phi);
}

}  // namespace dgm::factors
