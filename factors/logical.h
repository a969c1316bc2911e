#pragma once
// Logical OR and AND factors over binary variables: the scope lists the parents, then the
// child; θ = 0 when child = OR (or AND) of the parents, −inf otherwise.
#include <cstdint>
#include <span>

#include "factors/factor_kind.h"
#include "factors/infinity.h"

namespace dgm::factors {

inline bool logical_satisfied(FactorKind kind, std::span<const std::int32_t> states) {
  const std::size_t n = states.size() - 1;
  bool any = false, all = true;
  for (std::size_t j = 0; j < n; ++j) {
    any = any || states[j] != 0;
    all = all && states[j] != 0;
  }
  const bool value = kind == FactorKind::kOr ? any : all;
  return (states[n] != 0) == value;
}

inline double logical_log_potential(FactorKind kind, std::span<const std::int32_t> states) {
  return logical_satisfied(kind, states) ? 0.0 : kNegInf;
}

}  // namespace dgm::factors
