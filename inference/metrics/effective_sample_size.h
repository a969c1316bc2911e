#pragma once
// The effective sample size of a scalar observed along several MCMC chains, by Geyer's initial
// monotone sequence estimator (Geyer 1992, "Practical Markov chain Monte Carlo", Statistical
// Science 7) in its multi-chain form (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021,
// "Rank-normalization, folding, and localization: an improved R̂", §3.2; what Stan and ArviZ
// compute). With M chains of N values, the autocorrelation at lag t is
//
//   ρ̂(t) = 1 − (W − mean_c γ̂_c(t)) / var⁺,
//
// γ̂_c the autocovariance of chain c about its own mean (divided by N), W the mean within-chain
// variance and var⁺ = (N−1)/N · W + var(chain means) as in split-R̂. Chains stuck in different
// modes make var⁺ ≫ W, so ρ̂ stays near 1 and the ESS is small. The sum of ρ̂ is cut at the
// first lag pair whose sum is negative and made monotone over pairs (Geyer's initial monotone
// sequence), then
//
//   τ_int = −1 + 2 Σ_{t<T} ρ̂(t) + ρ̂(T),    ESS = M·N / τ_int,
//
// with τ_int floored at 1/log10(M·N) (Stan's guard for antithetic chains).
//
// inference/sampling/autocorrelation.h is the other estimator: Sokal's automatic window on
// the pooled autocorrelation, which the learner logs. Both are built on ChainSeries.
#include <cstdint>
#include <span>

namespace dgm::inference {

struct EffectiveSampleSize {
  double ess = 0;      // effective number of independent values over all chains
  double tau_int = 1;  // integrated autocorrelation time, in steps of the series
  // Every value is the same: no variation, ess = M·N and tau_int = 1 by convention.
  bool constant = false;
};

// `series` chain-major: chains × length (chain c's t-th value at c·length + t). Throws
// dgm::Error for length < 4, chains < 1, sizes that disagree, non-finite values. O(M·N·T),
// T the lag at which the sum is cut.
EffectiveSampleSize geyer_ess(std::span<const double> series, std::int64_t chains,
                              std::int64_t length);

}  // namespace dgm::inference
