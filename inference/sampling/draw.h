#pragma once
// Drawing a variable's new state from its conditional, given one uniform u ∈ (0, 1].
//
// Shared by every backend that draws from a conditional: the Gibbs family and the Gibbs
// transitions of annealed importance sampling (inference/ais). Every Gibbs path (generic or
// fast, sequential or chromatic) ends in one of these two functions (the batched binary updates of
// inference/gibbs/binary_batch.h decide by draw_binary's rule exactly, calling it whenever their
// estimate is not conclusive), so two paths that compute the same conditional from the same uniform
// make the same decision; they can differ only when u falls within rounding of a threshold.
#include <cmath>
#include <cstdint>
#include <span>

#include "factors/infinity.h"

namespace dgm::inference {

// Binary variable with conditional log-odds Δ = log p(x=1 | rest) − log p(x=0 | rest):
// returns 1 iff u ≤ σ(Δ), written as u·(1 + e^{−Δ}) ≤ 1 so that Δ = +∞ gives 1 and Δ = −∞
// gives 0 without special cases. (Δ must not be NaN: both states impossible is the caller's
// case to handle.)
inline std::int32_t draw_binary(double log_odds, double u) {
  return u * (1.0 + std::exp(-log_odds)) <= 1.0 ? 1 : 0;
}

// Categorical variable with unnormalised conditional log-probabilities `logp` (−∞ allowed):
// inverse CDF on the max-subtracted softmax. Returns the smallest k with
// Σ_{j≤k} e^{logp_j − max} ≥ u·Σ_j e^{logp_j − max}; since u > 0 that k has positive
// probability, so a −∞ entry is never drawn. Binary conditionals go through draw_binary (the
// same rule as the binary fast path). When every entry is −∞ (only possible if the rest of the
// state already has probability zero) the variable keeps `current`. `logp` is overwritten.
inline std::int32_t draw_from_log_probabilities(std::span<double> logp, double u,
                                                std::int32_t current) {
  const std::size_t n = logp.size();
  if (n == 2) {
    if (logp[0] == kNegInf && logp[1] == kNegInf) return current;
    return draw_binary(logp[1] - logp[0], u);
  }
  double max = kNegInf;
  for (double l : logp) max = l > max ? l : max;
  if (max == kNegInf) return current;
  double total = 0.0;
  for (double& l : logp) {
    l = std::exp(l - max);  // exp(−∞) = 0
    total += l;
  }
  const double target = u * total;
  double cumulative = 0.0;
  std::size_t last_positive = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (logp[k] == 0.0) continue;
    cumulative += logp[k];
    last_positive = k;
    if (cumulative >= target) return static_cast<std::int32_t>(k);
  }
  return static_cast<std::int32_t>(last_positive);  // u·total rounded above the sum
}

}  // namespace dgm::inference
