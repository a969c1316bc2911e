#include "inference/sampling/autocorrelation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"
#include "inference/sampling/chain_series.h"

namespace dgm::inference {

Autocorrelation integrated_autocorrelation(std::span<const double> series, std::int64_t chains,
                                           std::int64_t length, double window_factor) {
  if (!(window_factor > 0)) throw Error("autocorrelation: the window factor must be positive");
  // Pooled centring: chains stuck in different modes count as correlated.
  const ChainSeries centred(series, chains, length, ChainSeries::Centre::kPooled,
                            "autocorrelation");
  Autocorrelation out;
  // Autocovariance at lag t, averaged over the pairs of every chain; O(chains · length) per
  // lag, stopping at the window.
  const auto covariance = [&](std::int64_t lag) {
    return centred.lagged_sum(lag) / static_cast<double>(chains * (length - lag));
  };
  const double c0 = covariance(0);
  const double n = static_cast<double>(chains * length);
  if (c0 <= 0.0) {
    out.constant = true;
    out.tau_int = 1.0;
    out.ess = n;
    return out;
  }
  double tau = 1.0;
  std::int64_t lag = 1;
  out.reliable = false;
  // Lags beyond half the length rest on too few pairs to say anything.
  for (; lag <= length / 2; ++lag) {
    tau += 2.0 * covariance(lag) / c0;
    if (static_cast<double>(lag) >= window_factor * tau) {
      out.reliable = true;
      break;
    }
  }
  out.window = std::min(lag, length / 2);
  // A negative sum (anti-correlated samplers) is reported as the floor an estimate can mean.
  out.tau_int = std::max(tau, 1.0 / n);
  out.ess = n / out.tau_int;
  return out;
}

}  // namespace dgm::inference
