#include "inference/metrics/effective_sample_size.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/sampling/chain_series.h"

namespace dgm::inference {

EffectiveSampleSize geyer_ess(std::span<const double> series, std::int64_t chains,
                              std::int64_t length) {
  const ChainSeries centred(series, chains, length, ChainSeries::Centre::kPerChain,
                            "effective sample size");
  const double m = static_cast<double>(chains), n = static_cast<double>(length);
  EffectiveSampleSize out;
  // Mean over chains of the biased (÷ N) autocovariance at lag t.
  const auto acov = [&](std::int64_t lag) { return centred.lagged_sum(lag) / (m * n); };
  const double mean_var = acov(0) * n / (n - 1.0);  // W
  double var_plus = mean_var * (n - 1.0) / n;
  if (chains > 1) {
    double between = 0.0;
    for (std::int64_t c = 0; c < chains; ++c) {
      const double d = centred.chain_mean(c) - centred.mean();
      between += d * d;
    }
    var_plus += between / (m - 1.0);
  }
  if (!(var_plus > 0.0)) {
    out.constant = true;
    out.ess = m * n;
    out.tau_int = 1.0;
    return out;
  }
  const auto rho_at = [&](std::int64_t lag) { return 1.0 - (mean_var - acov(lag)) / var_plus; };
  std::vector<double> rho(static_cast<std::size_t>(length), 0.0);
  rho[0] = 1.0;
  double even = 1.0, odd = rho_at(1);
  rho[1] = odd;
  // Sums of lag pairs until the first negative one (Geyer's initial positive sequence).
  std::int64_t t = 0;
  while (t < length - 5 && even + odd > 0.0) {
    t += 2;
    even = rho_at(t);
    odd = rho_at(t + 1);
    if (even + odd >= 0.0) {
      rho[t] = even;
      rho[t + 1] = odd;
    }
  }
  const std::int64_t max_t = t;
  // Vehtari et al.'s improvement: a positive even lag after the cut still counts (half).
  if (even > 0.0) rho[max_t] = even;
  // Initial monotone sequence: pair sums never increase.
  for (t = 2; t <= max_t - 2; t += 2) {
    if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1]) {
      rho[t] = (rho[t - 2] + rho[t - 1]) / 2.0;
      rho[t + 1] = rho[t];
    }
  }
  double tau = -1.0 + rho[max_t];
  for (std::int64_t i = 0; i < max_t; ++i) tau += 2.0 * rho[i];
  tau = std::max(tau, 1.0 / std::log10(m * n));
  out.tau_int = tau;
  out.ess = m * n / tau;
  return out;
}

}  // namespace dgm::inference
