#pragma once
// From the log importance weights of M independent AIS runs to a log Z estimate with an error
// bar (Neal 2001; Salakhutdinov & Murray 2008, §4.2):
//   Ẑ = Z_0 · (1/M) Σ_m w_m                       (unbiased for Z)
//   log Ẑ = log Z_0 + logsumexp_m(log w_m) − log M
// and the interval the literature reports, log(Ẑ ± 3σ̂) with σ̂ = Z_0·s/√M, s the sample standard
// deviation of the weights: three standard errors of the mean weight, taken through the log.
// The lower end is −∞ when the mean is within 3σ̂ of 0. The estimate of log Z itself is biased
// low (Jensen's inequality) by about σ̂²/(2Ẑ²) when the weights are well behaved.
//
// The effective sample size (Σ w)² / Σ w² (Kong 1992) says how many of the M runs carry the
// estimate: close to M when the weights are even, close to 1 when one run dominates — then the
// interval is not to be trusted either, since the sample standard deviation of heavy-tailed
// weights underestimates the true one.
//
// Everything is computed on w_m / max_m w_m, so no weight overflows.
#include <cstdint>
#include <limits>
#include <span>

namespace dgm::inference {

struct WeightSummary {
  double log_mean = std::numeric_limits<double>::quiet_NaN();  // log (1/M) Σ w
  // log(mean ∓ 3 standard errors); low = −∞ when mean ≤ 3 standard errors; NaN when M < 2.
  double log_low = std::numeric_limits<double>::quiet_NaN();
  double log_high = std::numeric_limits<double>::quiet_NaN();
  // Standard error of the mean weight relative to the mean (NaN when M < 2 or every weight is 0).
  double relative_standard_error = std::numeric_limits<double>::quiet_NaN();
  double effective_sample_size = 0;  // 0 when every weight is 0
  std::int64_t zero_weights = 0;     // runs with log w = −∞
};

// Summarises log weights (−∞ allowed: a run of weight 0; NaN and +∞ are not allowed). With every
// weight 0, log_mean = log_low = log_high = −∞.
WeightSummary summarise_log_weights(std::span<const double> log_weights);

}  // namespace dgm::inference
