#pragma once
// Single-site marginals estimated from kept samples, with a batch-means standard error: each
// chain's time average is one estimate, nearly independent of the others, so
// se = sd(chain averages) / sqrt(B). This is an honest error bar even for slowly mixing chains
// (as long as there are enough chains), unlike the naive binomial one.
#include <cstdint>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/sampling/run.h"

namespace dgm::inference {

class MarginalEstimator : public RunObserver {
 public:
  // Sized for the chains of the first kept sample.
  explicit MarginalEstimator(const engine::Graph& graph);

  void on_sample(std::int64_t sweep, const Chains& chains) override;

  // p̂(x_v = k) at graph.state_offset[v] + k, averaged over every kept sample.
  std::vector<double> marginals() const;
  // Batch-means standard error of each entry of marginals(); NaN (not available) with fewer
  // than 2 chains or no kept sample: one chain's halves or batches would need its
  // autocorrelation time to mean anything, and a 0 would claim an exact answer.
  std::vector<double> standard_errors() const;
  std::int64_t samples_per_chain() const { return kept_; }

 private:
  const engine::Graph& graph_;
  std::int32_t num_chains_ = 0;
  std::int64_t kept_ = 0;
  std::vector<std::int64_t> counts_;  // [chain][state offset]
};

}  // namespace dgm::inference
