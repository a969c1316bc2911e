#pragma once
// Optimisers for maximum likelihood: gradient *ascent* on the average log-likelihood, applied to
// the learnable parameters only (Params::info[i].learnable); fixed parameters never move.
//
//   SGD with momentum:  v ← μ·v + g̃;  θ ← θ + η·v
//   Adam (Kingma & Ba 2015): m ← β1·m + (1 − β1)·g̃;  s ← β2·s + (1 − β2)·g̃²;
//                       θ ← θ + η·m̂ / (√ŝ + ε), with bias-corrected m̂, ŝ
// where g̃ = g − λ2·θ is the gradient with the L2 penalty (weight decay) added, so that for
// SGD without momentum λ2 is the usual weight decay. L1 (λ1) is applied after the step as a
// proximal soft threshold, θ ← sign(θ)·max(0, |θ| − η·λ1), which sets small weights exactly to
// zero instead of making them oscillate around it. Penalties apply to every learnable
// parameter, or only to weights (parameters of two or more dimensions, e.g. an RBM's W and
// not its biases, as in the RBM literature: Hinton 2010, "A practical guide to training RBMs").
//
// Schedules, by epoch: η_e = η·decay^⌊e / decay_every⌋ (decay_every 0: constant), and the
// momentum μ_initial for the first `momentum_switch_epoch` epochs, μ afterwards (the RBM
// recipe 0.5 → 0.9 after 5 epochs).
//
// The update is elementwise, over the learnable parameters' ranges cut into fixed chunks (run in
// parallel): results do not depend on threads.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/params.h"

namespace dgm::learning {

struct OptimizerSettings {
  enum class Kind { kSgd, kAdam };
  Kind kind = Kind::kSgd;
  double learning_rate = 0.01;
  double momentum = 0.0;         // SGD: μ after the switch epoch
  double initial_momentum = -1;  // SGD: μ before it (< 0: the same as momentum)
  std::int64_t momentum_switch_epoch = 0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // Adam
  double l1 = 0.0, l2 = 0.0;
  bool penalise_weights_only = false;
  double decay = 1.0;            // learning-rate factor ...
  std::int64_t decay_every = 0;  // ... every this many epochs (0: constant rate)

  // Throws dgm::Error naming the setting when one is out of range (negative rates or
  // penalties, momentum or betas outside [0, 1), NaN, ...).
  void validate() const;
};

class Optimizer {
 public:
  Optimizer(const engine::Params& params, const OptimizerSettings& settings);

  // One ascent step on `values` (Params::values) with `gradient` of the average
  // log-likelihood (same size; entries of fixed parameters are ignored) during `epoch`.
  // Throws dgm::Error when the gradient has a NaN or infinite entry (naming the parameter),
  // leaving `values` unchanged. Returns ‖g‖² over the learnable entries (before penalties).
  // Elementwise over fixed chunks in parallel (oneTBB), the norm's chunks summed in order: the
  // same numbers on any number of threads.
  double step(std::span<double> values, std::span<const double> gradient, std::int64_t epoch);

  double learning_rate(std::int64_t epoch) const;
  double momentum(std::int64_t epoch) const;
  std::int64_t steps() const { return steps_; }

  // The optimiser's state (velocities or moments and the step count), for checkpoints.
  std::vector<double> state() const;
  void restore(std::span<const double> state);

 private:
  // A run of values of one learnable parameter, at most kChunk long: learnable and penalised
  // are the same over a parameter, so the loops over a chunk have no per-value branch.
  struct Chunk {
    std::size_t begin = 0, end = 0;
    bool penalised = false;
    std::size_t param = 0;  // index in Params::info, for errors
  };
  static constexpr std::size_t kChunk = 16384;

  OptimizerSettings settings_;
  std::size_t num_values_ = 0;
  std::vector<Chunk> chunks_;
  std::vector<std::string> names_;      // per parameter, for errors
  std::vector<double> first_, second_;  // velocity (SGD) or moments (Adam), per value
  std::int64_t steps_ = 0;
  std::vector<double> norms_;  // step's per-chunk sums of g²
};

}  // namespace dgm::learning
