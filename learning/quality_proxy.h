#pragma once
// A cheap measure of how well a model fits a dataset, logged every epoch while training (the
// log-likelihood itself needs log Z: see learning/score.h). Deterministic — no sampling — so
// that its value depends on the parameters alone:
//
//   * RBM-shaped models with hidden units: the mean-field reconstruction error,
//       mean over examples and visible units of (v − σ(W·σ(Wᵀv + c) + b))²
//     (Hinton 2010, "A practical guide to training RBMs", §5: easy to compute, a poor proxy for
//     the likelihood late in training, but it shows divergence and progress);
//   * fully visible models: the pseudo-log-likelihood per example (Besag 1975),
//       Σ_{v free} log p(x_v | x_{−v}),
//     from the single-site conditionals every factor kind provides;
//   * other models with hidden variables: none ("none", NaN) — a cheap deterministic measure
//     would need p(v) with the hidden variables summed out.
// Parallel over examples; per-example terms are summed in example order, so the value does not
// depend on the number of threads.
#include <cstdint>
#include <string>

#include "engine/compiled_model.h"
#include "learning/dataset.h"

namespace dgm::learning {

struct QualityProxy {
  std::string name;  // "reconstruction_error" or "pseudo_log_likelihood"
  bool higher_is_better = false;
};

// Which proxy applies to `model` with the data's columns `layout`.
QualityProxy quality_proxy_for(const engine::CompiledModel& model, const VisibleLayout& layout);

// The proxy's value on the first `max_examples` examples of `data` (all when ≤ 0); NaN for
// "none".
double quality_proxy(const engine::CompiledModel& model, const VisibleLayout& layout,
                     const Dataset& data, std::int64_t max_examples = 0);

}  // namespace dgm::learning
