#pragma once
// Logical OR and AND factors over binary variables: the scope lists the parents, then the
// child; θ = 0 when child = OR (or AND) of the parents, −inf otherwise. No parameters.
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

// The factor's term in the conditional of the variable at scope position `slot` (out has its
// two states): the states that break the constraint, given the others' states `state_at(j)`
// (j ≠ slot), become −inf; the others are left as they are (θ = 0).
template <class StateAt>
inline void add_logical_term(FactorKind kind, std::size_t arity, std::size_t slot, StateAt state_at,
                             std::span<double> out) {
  const std::size_t child = arity - 1;
  const bool is_or = kind == FactorKind::kOr;
  if (slot == child) {
    bool value = !is_or;  // OR of nothing is 0, AND of nothing is 1
    for (std::size_t j = 0; j < child; ++j)
      value = is_or ? (value || state_at(j) != 0) : (value && state_at(j) != 0);
    out[value ? 0 : 1] = kNegInf;
    return;
  }
  bool rest = !is_or;  // OR / AND of the other parents
  for (std::size_t j = 0; j < child; ++j)
    if (j != slot) rest = is_or ? (rest || state_at(j) != 0) : (rest && state_at(j) != 0);
  const bool c = state_at(child) != 0;
  for (std::int32_t k = 0; k < 2; ++k) {
    const bool value = is_or ? (rest || k != 0) : (rest && k != 0);
    if (value != c) out[k] = kNegInf;
  }
}

}  // namespace dgm::factors
