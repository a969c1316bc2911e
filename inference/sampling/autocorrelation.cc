#include "inference/sampling/autocorrelation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/error.h"

namespace dgm::inference {

Autocorrelation integrated_autocorrelation(std::span<const double> series, std::int64_t chains,
                                           std::int64_t length, double window_factor) {
  if (chains < 1 || length < 4)
    throw Error("autocorrelation: needs at least one chain of 4 or more steps (got " +
                std::to_string(chains) + " × " + std::to_string(length) + ")");
  if (static_cast<std::int64_t>(series.size()) != chains * length)
    throw Error("autocorrelation: " + std::to_string(series.size()) + " values for " +
                std::to_string(chains) + " chains of " + std::to_string(length));
  if (!(window_factor > 0)) throw Error("autocorrelation: the window factor must be positive");
  double mean = 0.0;
  for (const double x : series) {
    if (!std::isfinite(x))
      throw Error("autocorrelation: the series has a non-finite value (" + std::to_string(x) + ")");
    mean += x;
  }
  mean /= static_cast<double>(series.size());
  Autocorrelation out;
  // Autocovariance at lag t, summed over chains; O(chains · length · W), stopping at the window.
  std::vector<double> centred(series.size());
  for (std::size_t i = 0; i < series.size(); ++i) centred[i] = series[i] - mean;
  const auto covariance = [&](std::int64_t lag) {
    double sum = 0.0;
    for (std::int64_t c = 0; c < chains; ++c) {
      const double* x = centred.data() + c * length;
      for (std::int64_t t = 0; t + lag < length; ++t) sum += x[t] * x[t + lag];
    }
    return sum / static_cast<double>(chains * (length - lag));
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
