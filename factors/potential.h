#pragma once
// Parametrisations of dense factors (unary, pairwise, table, bipartite): how the numbers of
// one factor, starting at `w` in the parameter buffer, give θ for a configuration.
#include <cstdint>
#include <span>

#include "factors/factor_kind.h"
#include "factors/table_layout.h"

namespace dgm::factors {

inline double evaluate_potential(Potential potential, const double* w,
                                 std::span<const std::int32_t> cards,
                                 std::span<const std::int32_t> states) {
  switch (potential) {
    case Potential::kTable:
      return w[flat_index(cards, states)];
    case Potential::kLogOdds: {  // w·Π x_j, x ∈ {0, 1}
      for (std::int32_t x : states)
        if (x == 0) return 0.0;
      return w[0];
    }
    case Potential::kSpin: {  // J·Π s_j, s = 2x − 1
      int sign = 1;
      for (std::int32_t x : states)
        if (x == 0) sign = -sign;
      return sign * w[0];
    }
    case Potential::kPotts:
      return states[0] == states[1] ? w[0] : 0.0;
    case Potential::kNone:
    case Potential::kEnumerated:
      break;
  }
  return 0.0;
}

}  // namespace dgm::factors
