#pragma once
// A scalar observed along several MCMC chains (an energy, a magnetisation, a group mean), and
// the lagged sums both autocorrelation estimators of the library are built on: Sokal's
// windowed τ_int (inference/sampling/autocorrelation.h, which the learner logs) and Geyer's
// initial monotone sequence (inference/metrics/effective_sample_size.h, the multi-chain ESS
// of Vehtari et al. 2021). The two differ only in where each chain is centred and how the
// sums are normalised, so the validation and the sums live here once.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace dgm::inference {

class ChainSeries {
 public:
  // Where each chain is centred before lagged products are taken.
  enum class Centre {
    // On the mean of all chains: chains stuck in different modes stay correlated at every
    // lag (Goodman & Weare 2010; Sokal's estimator as emcee uses it).
    kPooled,
    // On each chain's own mean: the within-chain autocovariance of Geyer (1992) and Stan,
    // which is then combined with the between-chain variance.
    kPerChain,
  };

  // `series` is chain-major: chains × length values (chain c's t-th value at c·length + t).
  // Throws dgm::Error, its message starting with `who`, when chains < 1, length < 4, the
  // sizes disagree or a value is not finite.
  ChainSeries(std::span<const double> series, std::int64_t chains, std::int64_t length,
              Centre centre, std::string_view who);

  // The power of two e such that values·2^-e cannot overflow when squared and summed: 0 for
  // values up to 2^500, else the exponent of the largest |value| (so dividing changes no digit).
  // Every estimator here is scale-free; energies of models near engine::kMaxLogPotentialScale
  // (1e307) are what needs it.
  static int overflow_safe_exponent(std::span<const double> series);

  // The constructor's checks alone, for estimators that need no lagged sums (split-R̂).
  static void check(std::span<const double> series, std::int64_t chains, std::int64_t length,
                    std::string_view who);

  std::int64_t chains() const { return chains_; }
  std::int64_t length() const { return length_; }
  // The mean of chain c, and of all values, in the units of lagged_sum: when the values are
  // so large (beyond 2^500) that sums of their squares could overflow, the series is first
  // divided by a power of two (exactly), which every scale-free estimator (τ, ESS, R̂) ignores.
  double chain_mean(std::int64_t c) const { return chain_means_[c]; }
  double mean() const { return mean_; }
  // Σ_c Σ_{t=0}^{length−lag−1} y_c(t)·y_c(t+lag), y the centred series: O(chains·length) per
  // lag, so estimators that stop at a window or at the first negative pair of lags pay only
  // for the lags they look at.
  double lagged_sum(std::int64_t lag) const;

 private:
  std::int64_t chains_ = 0, length_ = 0;
  double mean_ = 0.0;
  std::vector<double> chain_means_;
  std::vector<double> centred_;
};

}  // namespace dgm::inference
