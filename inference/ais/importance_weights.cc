#include "inference/ais/importance_weights.h"

#include <algorithm>
#include <cmath>

#include "factors/infinity.h"

namespace dgm::inference {

WeightSummary summarise_log_weights(std::span<const double> log_weights) {
  WeightSummary s;
  const auto m = static_cast<double>(log_weights.size());
  if (log_weights.empty()) return s;
  double top = kNegInf;
  for (const double lw : log_weights) {
    top = std::max(top, lw);
    s.zero_weights += lw == kNegInf;
  }
  if (top == kNegInf) {
    s.log_mean = s.log_low = s.log_high = kNegInf;
    return s;
  }
  double sum = 0.0, sum_sq = 0.0;
  for (const double lw : log_weights) {
    const double w = std::exp(lw - top);  // in [0, 1]
    sum += w;
    sum_sq += w * w;
  }
  const double mean = sum / m;
  s.log_mean = top + std::log(mean);
  s.effective_sample_size = sum * sum / sum_sq;
  if (log_weights.size() < 2) return s;
  double squares = 0.0;  // Σ (w − mean)², two-pass for accuracy
  for (const double lw : log_weights) {
    const double d = std::exp(lw - top) - mean;
    squares += d * d;
  }
  const double se = std::sqrt(squares / (m - 1.0) / m);
  s.relative_standard_error = se / mean;
  s.log_high = top + std::log(mean + 3.0 * se);
  s.log_low = mean > 3.0 * se ? top + std::log(mean - 3.0 * se) : kNegInf;
  return s;
}

}  // namespace dgm::inference
