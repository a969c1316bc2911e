#include "inference/metrics/split_rhat.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/error.h"
#include "inference/sampling/chain_series.h"

namespace dgm::inference {

double rhat_from_moments(std::span<const double> means, std::span<const double> variances,
                         std::int64_t n) {
  const std::size_t m = means.size();
  if (m < 2 || variances.size() != m || n < 2)
    throw Error("R̂: needs at least 2 chains of 2 or more values with one variance each (got " +
                std::to_string(m) + " means, " + std::to_string(variances.size()) +
                " variances, length " + std::to_string(n) + ")");
  double mean = 0.0, w = 0.0;
  for (std::size_t j = 0; j < m; ++j) {
    mean += means[j];
    w += variances[j];
  }
  mean /= static_cast<double>(m);
  w /= static_cast<double>(m);
  double b_over_n = 0.0;  // the variance of the chains' means (B/n in BDA3's notation)
  for (const double x : means) b_over_n += (x - mean) * (x - mean);
  b_over_n /= static_cast<double>(m - 1);
  if (w <= 0.0) return b_over_n > 0.0 ? std::numeric_limits<double>::infinity() : 1.0;
  const double dn = static_cast<double>(n);
  return std::sqrt(((dn - 1.0) / dn * w + b_over_n) / w);
}

double split_rhat(std::span<const double> series, std::int64_t chains, std::int64_t length) {
  ChainSeries::check(series, chains, length, "split-R̂");
  // R̂ is scale-free: huge values are divided by a power of two so the squares cannot overflow.
  const int exponent = ChainSeries::overflow_safe_exponent(series);
  const auto value = [&](std::int64_t i) {
    return std::ldexp(series[static_cast<std::size_t>(i)], -exponent);
  };
  const std::int64_t half = length / 2;
  std::vector<double> means, variances;
  means.reserve(static_cast<std::size_t>(2 * chains));
  variances.reserve(static_cast<std::size_t>(2 * chains));
  for (std::int64_t c = 0; c < chains; ++c) {
    // The first half, and the second (which skips the middle value of an odd length).
    for (const std::int64_t start : {c * length, c * length + length - half}) {
      double mean = 0.0;
      for (std::int64_t t = 0; t < half; ++t) mean += value(start + t);
      mean /= static_cast<double>(half);
      double var = 0.0;
      for (std::int64_t t = 0; t < half; ++t) {
        const double d = value(start + t) - mean;
        var += d * d;
      }
      means.push_back(mean);
      variances.push_back(var / static_cast<double>(half - 1));
    }
  }
  return rhat_from_moments(means, variances, half);
}

}  // namespace dgm::inference
