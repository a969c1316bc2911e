#include "inference/sampling/marginal_estimator.h"

#include <cmath>
#include <limits>

namespace dgm::inference {

MarginalEstimator::MarginalEstimator(const engine::Graph& graph) : graph_(graph) {}

void MarginalEstimator::on_sample(std::int64_t /*sweep*/, const Chains& chains) {
  const std::int64_t states = graph_.state_offset.back();
  if (kept_ == 0) {
    num_chains_ = chains.num_chains();
    counts_.assign(static_cast<std::size_t>(num_chains_) * states, 0);
  }
  for (std::int32_t b = 0; b < num_chains_; ++b) {
    auto x = chains.chain(b);
    std::int64_t* row = counts_.data() + b * states;
    for (std::int32_t v = 0; v < graph_.num_variables(); ++v) ++row[graph_.state_offset[v] + x[v]];
  }
  ++kept_;
}

std::vector<double> MarginalEstimator::marginals() const {
  const std::int64_t states = graph_.state_offset.back();
  std::vector<double> p(states, 0.0);
  if (kept_ == 0) return p;
  for (std::int32_t b = 0; b < num_chains_; ++b)
    for (std::int64_t i = 0; i < states; ++i) p[i] += static_cast<double>(counts_[b * states + i]);
  const double total = static_cast<double>(kept_) * num_chains_;
  for (double& x : p) x /= total;
  return p;
}

std::vector<double> MarginalEstimator::standard_errors() const {
  const std::int64_t states = graph_.state_offset.back();
  if (kept_ == 0 || num_chains_ < 2)
    return std::vector<double>(states, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> se(states, 0.0);
  const std::vector<double> mean = marginals();
  for (std::int64_t i = 0; i < states; ++i) {
    double ss = 0.0;
    for (std::int32_t b = 0; b < num_chains_; ++b) {
      const double d = static_cast<double>(counts_[b * states + i]) / kept_ - mean[i];
      ss += d * d;
    }
    se[i] = std::sqrt(ss / (num_chains_ - 1) / num_chains_);
  }
  return se;
}

}  // namespace dgm::inference
