#pragma once
// dgm's numerical range: how large the log-potentials of a model may be.
//
// Every backend works with sums of log-potentials: the total f(x), log-sum-exps of it, BP
// messages and Gibbs conditionals (sums over a variable's factors), the binary affine form of a
// spin coupling (up to 4·J), and differences of two such sums. If the factors' largest
// |log-potential| values add up to at most kMaxLogPotentialScale = DBL_MAX / 16, none of these
// can overflow, so every backend answers to double precision or refuses for a stated reason.
// Beyond it log Z itself may not be a double; such a model is refused when it is compiled and
// when its parameters are changed, with the factor group that contributes most named
// (docs/decisions.md, "Numerical range").
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "engine/graph.h"
#include "engine/params.h"

namespace dgm::engine {

inline constexpr double kMaxLogPotentialScale = std::numeric_limits<double>::max() / 16;

struct LogPotentialScale {
  // Σ over factors of max_x |θ_f(x)| over the finite values (hard zeros, −inf, do not count),
  // plus |log_constant|; +inf when it overflows.
  double total = 0.0;
  std::int32_t largest_block = -1;  // the factor group contributing most, or -1 if none
  double largest_block_total = 0.0;
};

// The scale of the model's log-potentials with parameter values `values` (the whole buffer, as
// Params::values). O(number of parameter values read), no allocation.
LogPotentialScale log_potential_scale(const Graph& graph, std::span<const double> values);

// The refusal of a model whose scale exceeds kMaxLogPotentialScale: dgm::Error (code
// kBadValue), the message starting with `where` and naming the largest contributor.
[[noreturn]] void throw_log_potential_scale_error(const Graph& graph,
                                                  const LogPotentialScale& scale,
                                                  const std::string& where);

// Throws that error when the scale of `values` exceeds kMaxLogPotentialScale.
void check_log_potential_scale(const Graph& graph, std::span<const double> values,
                               const std::string& where);

}  // namespace dgm::engine
