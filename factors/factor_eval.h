#pragma once
// The generic path: θ of any factor for a configuration of its scope, its dense table, and its
// sufficient statistics. Every fast path in the backends is tested against these.
#include <cstdint>
#include <span>

#include "factors/factor_block.h"

namespace dgm::factors {

// θ of factor `r` (0-based within the block) at the scope configuration `states`.
double log_potential(const FactorBlock& block, std::int64_t r, std::span<const double> params,
                     std::span<const std::int32_t> enum_configs,
                     std::span<const std::int32_t> states);

// Writes the dense table of factor `r` (last scope variable fastest) into `out`, whose size
// is the product of `cards` (the cardinalities of the factor's scope).
void fill_table(const FactorBlock& block, std::int64_t r, std::span<const double> params,
                std::span<const std::int32_t> enum_configs, std::span<const std::int32_t> cards,
                std::span<double> out);

// Adds weight·∂θ/∂w of factor `r` at the scope configuration `states` to `statistics`, which is
// indexed like the parameter buffer. θ is linear in the numbers it reads, so this is the
// sufficient statistic φ(x) of maximum-likelihood learning (learning/sufficient_statistics.h);
// factors without parameters (logical, unweighted enumerations) add nothing.
void add_statistics(const FactorBlock& block, std::int64_t r,
                    std::span<const std::int32_t> enum_configs,
                    std::span<const std::int32_t> states, double weight,
                    std::span<double> statistics);

}  // namespace dgm::factors
