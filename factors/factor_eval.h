#pragma once
// The generic path: θ of any factor for a configuration of its scope, and its dense table.
// Every fast path in the backends is tested against these.
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

}  // namespace dgm::factors
