#pragma once
// The data side of the gradient when some hidden variables are not an RBM's hidden layer (so
// p(h | v) has no closed form): E_{p(h | v_b)}[φ(v_b, h)] is estimated by sampling h with the
// example's visible values clamped — Gibbs sweeps over the hidden variables only, every factor
// kind through the single-site conditional (inference/model_views/conditional.h).
//
// Each example keeps its own hidden state across updates and epochs (a persistent clamped
// chain, as in the data phase of Salakhutdinov & Hinton's persistent training of Boltzmann
// machines), so a few sweeps per visit follow the slowly changing posterior instead of starting
// from scratch. Chains start uniformly at random; a start of probability zero moves to a
// possible state as soon as a conditional allows it (a variable whose every state is
// impossible keeps its value).
//
// Randomness: example r's draws come from the Philox stream (seed, r), at counters
// (update·sweeps + s, position), so the result depends on the seed and the position alone —
// not on the number of threads (examples run in parallel) nor on the batch an example is in.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/model_views/conditional.h"

namespace dgm::learning {

class ClampedHidden {
 public:
  // `model` must outlive this object; its parameters are read at every sweep. `hidden`: the
  // variables to sample (free, not in the data), in increasing order.
  ClampedHidden(const engine::CompiledModel& model, std::vector<std::int32_t> hidden,
                std::int64_t examples, std::int64_t sweeps, std::uint64_t seed);

  // For each row b of `states` (rows.size() × N, visible values filled in): continues example
  // rows[b]'s chain by `sweeps` sweeps and writes its hidden values into the row. `update` is
  // the update's index over the run (the streams' position).
  void sample(std::span<std::int32_t> states, std::span<const std::int64_t> rows,
              std::int64_t update);

  // Every example's hidden state (examples × hidden), for checkpoints.
  std::span<const std::int32_t> chains() const { return chains_; }
  void restore(std::span<const std::int32_t> chains);
  std::int64_t num_hidden() const { return static_cast<std::int64_t>(hidden_.size()); }

 private:
  const engine::CompiledModel& model_;
  inference::Conditional conditional_;
  std::vector<std::int32_t> hidden_;
  std::int64_t examples_, sweeps_;
  std::uint64_t seed_;
  std::vector<std::int32_t> chains_;  // examples × hidden
};

}  // namespace dgm::learning
