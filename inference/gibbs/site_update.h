#pragma once
// One Gibbs site update: resample x_v from p(x_v | x_{−v}) given a uniform, by the binary
// pairwise fast path when the model allows it, else by the generic conditional. Shared by
// every Gibbs sampler; the samplers differ only in which sites they visit, in what order and
// on how many threads.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/gibbs/binary_batch.h"
#include "inference/gibbs/site_uniforms.h"
#include "inference/model_views/binary_pairwise.h"
#include "inference/model_views/conditional.h"
#include "inference/sampling/draw.h"

namespace dgm::inference {

class SiteUpdater {
 public:
  // The model must outlive the updater. `generic_only` disables the fast path.
  SiteUpdater(const engine::CompiledModel& model, bool generic_only);

  // Re-reads the parameters (after a learner changed them): rebuilds the fast path's affine
  // form, or falls back to the generic path if a number became infinite.
  void refresh();

  // Whether updates take the binary pairwise fast path.
  bool fast() const { return fast_; }

  // Doubles of scratch an update needs (the largest cardinality).
  std::size_t scratch_size() const {
    return static_cast<std::size_t>(conditional_.max_cardinality());
  }

  // Resamples x[v] given the rest of x with the uniform u ∈ (0, 1]; returns whether it changed.
  // `scratch` has at least scratch_size() entries. No allocation, no exception.
  bool update(std::int32_t v, std::span<std::int32_t> x, double u,
              std::span<double> scratch) const {
    const std::int32_t old = x[v];
    std::int32_t next;
    if (fast_) {
      next = draw_binary(pairwise_->log_odds(v, x), u);
    } else {
      conditional_.log_probabilities(v, x, scratch);
      next = draw_from_log_probabilities(scratch.first(static_cast<std::size_t>(cardinality_[v])),
                                         u, old);
    }
    x[v] = next;
    return next != old;
  }

  // Resamples every x[sites[k]], site k with the uniform of position positions[k]; no two of
  // `sites` may share a factor (one colour class), so they can be updated in any order or
  // together: the fast path batches them (inference/gibbs/binary_batch.h). Returns how many
  // changed. `runs` is empty or the sites' translation runs (binary_batch.h). No allocation,
  // no exception.
  std::int64_t update_independent(std::span<const std::int32_t> sites,
                                  std::span<const std::int32_t> runs,
                                  std::span<const std::int64_t> positions,
                                  std::span<std::int32_t> x, SiteUniforms& uniforms,
                                  std::span<double> scratch) const {
    if (fast_) return update_binary_batch(*pairwise_, sites, runs, positions, x, uniforms);
    std::int64_t changed = 0;
    for (std::size_t k = 0; k < sites.size(); ++k)
      changed += update(sites[k], x, uniforms(positions[k]), scratch);
    return changed;
  }

 private:
  const std::int32_t* cardinality_;
  Conditional conditional_;
  std::optional<BinaryPairwise> pairwise_;
  bool fast_ = false;
};

// The variables a sampler updates: those not clamped by the model's evidence, in id order.
std::vector<std::int32_t> free_variables(const engine::CompiledModel& model);

}  // namespace dgm::inference
