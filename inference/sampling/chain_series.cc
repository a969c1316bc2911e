#include "inference/sampling/chain_series.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"

namespace dgm::inference {

void ChainSeries::check(std::span<const double> series, std::int64_t chains, std::int64_t length,
                        std::string_view who) {
  const std::string prefix(who);
  if (chains < 1 || length < 4)
    throw Error(prefix + ": needs at least one chain of 4 or more steps (got " +
                std::to_string(chains) + " × " + std::to_string(length) + ")");
  if (static_cast<std::int64_t>(series.size()) != chains * length)
    throw Error(prefix + ": " + std::to_string(series.size()) + " values for " +
                std::to_string(chains) + " chains of " + std::to_string(length));
  for (std::size_t i = 0; i < series.size(); ++i)
    if (!std::isfinite(series[i]))
      throw Error(prefix + ": the series has a non-finite value (" + std::to_string(series[i]) +
                  ") at chain " + std::to_string(i / length) + ", step " +
                  std::to_string(i % length));
}

int ChainSeries::overflow_safe_exponent(std::span<const double> series) {
  double largest = 0.0;
  for (const double x : series) largest = std::max(largest, std::abs(x));
  int exponent = 0;
  if (largest > std::ldexp(1.0, 500)) std::frexp(largest, &exponent);
  return exponent;
}

ChainSeries::ChainSeries(std::span<const double> series, std::int64_t chains, std::int64_t length,
                         Centre centre, std::string_view who)
    : chains_(chains), length_(length) {
  check(series, chains, length, who);
  const int exponent = overflow_safe_exponent(series);
  const auto value = [&](std::size_t i) { return std::ldexp(series[i], -exponent); };
  chain_means_.assign(static_cast<std::size_t>(chains), 0.0);
  for (std::int64_t c = 0; c < chains; ++c) {
    double sum = 0.0;
    for (std::int64_t t = 0; t < length; ++t)
      sum += value(static_cast<std::size_t>(c * length + t));
    chain_means_[c] = sum / static_cast<double>(length);
    mean_ += sum;
  }
  mean_ /= static_cast<double>(series.size());
  centred_.resize(series.size());
  for (std::int64_t c = 0; c < chains; ++c) {
    const double m = centre == Centre::kPooled ? mean_ : chain_means_[c];
    for (std::int64_t t = 0; t < length; ++t) {
      const std::size_t i = static_cast<std::size_t>(c * length + t);
      centred_[i] = value(i) - m;
    }
  }
}

double ChainSeries::lagged_sum(std::int64_t lag) const {
  double sum = 0.0;
  for (std::int64_t c = 0; c < chains_; ++c) {
    const double* y = centred_.data() + c * length_;
    for (std::int64_t t = 0; t + lag < length_; ++t) sum += y[t] * y[t + lag];
  }
  return sum;
}

}  // namespace dgm::inference
