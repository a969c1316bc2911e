#pragma once
// Split-R̂, the potential scale reduction factor with every chain cut in two halves
// (Gelman et al., "Bayesian Data Analysis", 3rd ed., §11.4; Vehtari, Gelman, Simpson,
// Carpenter & Bürkner 2021, "Rank-normalization, folding, and localization: an improved R̂ for
// assessing convergence of MCMC", Bayesian Analysis 16). With M half-chains of n values each,
// W the mean within-half variance and B/n the variance of the halves' means,
//
//   var⁺ = (n − 1)/n · W + B/n,      R̂ = sqrt(var⁺ / W).
//
// R̂ ≈ 1 when the halves agree; chains stuck in different modes raise B, and a chain that
// still drifts makes its two halves differ, so splitting catches trends that whole chains hide.
// With one chain, R̂ compares that chain's two halves only. Vehtari et al. recommend flagging
// R̂ > 1.01.
#include <cstdint>
#include <span>

namespace dgm::inference {

// `series` chain-major: chains × length (chain c's t-th value at c·length + t). With an odd
// length the middle value of each chain is left out, so the halves have equal length. 1.0 for a
// constant series, +inf when every half is constant but the halves differ. Throws dgm::Error
// for chains < 1, length < 4, sizes that disagree or non-finite values.
double split_rhat(std::span<const double> series, std::int64_t chains, std::int64_t length);

// R̂ from the moments of M (half-)chains of n values each: their means and within-chain
// variances (denominator n − 1). The formula above; what split_rhat computes after splitting,
// and what ConvergenceMonitor computes from counts. 1.0 when every variance is 0 and the means
// agree, +inf when every variance is 0 and the means differ. Needs M ≥ 2 and n ≥ 2.
double rhat_from_moments(std::span<const double> means, std::span<const double> variances,
                         std::int64_t n);

}  // namespace dgm::inference
