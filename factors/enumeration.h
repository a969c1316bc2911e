#pragma once
// Sparse enumeration factors: only the listed configurations are possible (as PGMax's
// EnumFactor). The configurations are rows of `arity` states; θ of row c is w[c], or 0 for
// every row when the factor has no weights (w = nullptr), and −inf for unlisted configurations.
// θ is linear in w, so its sufficient statistic is the indicator of the listed row.
#include <cstdint>
#include <span>

#include "factors/infinity.h"

namespace dgm::factors {

// Index of the listed configuration equal to `states`, or -1. Linear in the number of rows:
// the generic path; backends build their own lookup structures.
inline std::int64_t find_configuration(std::span<const std::int32_t> configs,
                                       std::int64_t num_configs,
                                       std::span<const std::int32_t> states) {
  const std::size_t arity = states.size();
  for (std::int64_t c = 0; c < num_configs; ++c) {
    const std::int32_t* row = configs.data() + c * arity;
    std::size_t j = 0;
    while (j < arity && row[j] == states[j]) ++j;
    if (j == arity) return c;
  }
  return -1;
}

// θ of row `row` (−1: a configuration that is not listed).
inline double enumeration_row_log_potential(std::int64_t row, const double* w) {
  if (row < 0) return kNegInf;
  return w != nullptr ? w[row] : 0.0;
}

inline double enumeration_log_potential(std::span<const std::int32_t> configs,
                                        std::int64_t num_configs, const double* w,
                                        std::span<const std::int32_t> states) {
  return enumeration_row_log_potential(find_configuration(configs, num_configs, states), w);
}

// Adds weight·∂θ/∂w at `states` to `phi` (one entry per row): weight on the listed row.
inline void add_enumeration_statistics(std::span<const std::int32_t> configs,
                                       std::int64_t num_configs,
                                       std::span<const std::int32_t> states, double weight,
                                       double* phi) {
  const std::int64_t c = find_configuration(configs, num_configs, states);
  if (c >= 0) phi[c] += weight;
}

}  // namespace dgm::factors
