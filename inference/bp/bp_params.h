#pragma once
// Settings of belief propagation, with their defaults. BeliefPropagationConfig in
// proto/dgm/sampler.proto mirrors them (a `bp { }` block of a --config file).
#include <cstdint>
#include <functional>

#include "dgm/sampler.pb.h"

namespace dgm::inference::bp {

enum class Schedule {
  kFlooding,    // every message of iteration t+1 from the messages of iteration t (parallel)
  kSequential,  // factors in id order, each reading the newest messages
  kResidual,    // the factor whose messages would change most first (Elidan et al. 2006);
                // one problem at a time, and each update re-scores the factors around it, so
                // it suits sparse graphs (dense RBMs: prefer flooding)
};

struct BpParams {
  Schedule schedule = Schedule::kFlooding;
  // Flooding: one update of every message is one iteration; sequential and residual: as
  // many single-factor updates as there are (non-unary) factors.
  std::int32_t max_iterations = 200;
  // m ← d·m_old + (1 − d)·m_new (PGMax's default; Zhou et al. 2022).
  double damping = 0.5;
  // Converged when the largest change of any message entry in an iteration is below this;
  // 0 runs all max_iterations (PMP's default: a fixed amount of work per sample).
  double tolerance = 1e-6;
  // 0 max-product, 1 sum-product, in between soft max-marginals T·logsumexp(·/T).
  double temperature = 1.0;
  // Use only the full-vector messages and the generic kernels (for testing and comparison).
  bool generic_only = false;
  // MAP decoding (T = 0): when max-marginals tie, clamp a tied variable and continue
  // max-product (decimation) instead of deciding every tied variable independently.
  bool decimate_ties = true;
  // MAP decoding (T = 0): when the decoded state violates a hard factor (unconverged or
  // near-tied max-marginals around a constraint), repair it by decimation: clamp the least
  // certain variable of the violated factor and continue max-product (repair_by_decimation in
  // bp_inference.h, as PMP repairs its samples).
  bool repair_violations = true;
};

// The defaults for a purpose, overridden by the fields set in `config`.
enum class BpPurpose { kMarginals, kMap, kPmp };
BpParams bp_params(const proto::BeliefPropagationConfig& config, BpPurpose purpose);

// Throws dgm::Error naming the setting when a value is out of range (damping outside [0, 1),
// negative tolerance, a temperature that is neither 0 nor in [0.001, 1e6], max_iterations < 1,
// NaN anywhere).
void validate(const BpParams& params);

// Called after every iteration with its 1-based index and the largest message change;
// returning false stops the run (Ctrl-C, a time budget).
using BpObserver = std::function<bool(std::int32_t iteration, double max_change)>;

}  // namespace dgm::inference::bp
