#pragma once
// Chromatic (parallel) Gibbs sampling (Gonzalez, Low, Gretton & Guestrin, AISTATS 2011): the
// variables of one colour class of a proper colouring of the interaction graph share no
// factor, so given the other classes they are independent and can all be resampled at once.
// A sweep visits the classes in order 0, 1, ...; each class is one parallel step over every
// (chain, variable) pair of the class (oneTBB). It is exact Gibbs, only parallel.
//
// Random numbers (inference/gibbs/site_uniforms.h): the variables are numbered colour by
// colour (class 0 in id order, then class 1, ...); the update of the variable at position p of
// that order, in chain b during sweep s, uses word p mod 4 of the draw sweep_counter(s, p / 4)
// of the stream (seed, stream_id(kSweep, b)). Consecutive members of a class share draws
// (four sites per Philox call), and since no update of a class reads another variable of the
// class, the result does not depend on the number of threads or on how the work is split.
// The numbering counts clamped variables too, so a free variable's random numbers do not
// depend on which others are clamped.
//
// block-gibbs is this sampler with the two sides of a bipartite graph as the colouring
// (inference/gibbs/block_gibbs.h).
#include <tbb/enumerable_thread_specific.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/gibbs/gibbs_params.h"
#include "inference/gibbs/site_update.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

class ChromaticGibbsSampler final : public Sampler {
 public:
  // The model's own colouring (Graph::analysis.colour). The model must outlive the sampler.
  ChromaticGibbsSampler(const engine::CompiledModel& model, const ChromaticGibbsParams& params,
                        std::uint64_t seed);
  // Any proper colouring: colour[v] ∈ [0, num_colours), no two neighbours alike (checked;
  // dgm::Error otherwise). `name` is what name() reports.
  ChromaticGibbsSampler(const engine::CompiledModel& model, std::span<const std::int32_t> colour,
                        std::int32_t num_colours, bool generic_only, std::uint64_t seed,
                        std::string name);

  std::string_view name() const override { return name_; }
  // The chains hold no cache: checks their shape only.
  void reset(const Chains& chains) override;
  // Rebuilds the fast path's tables.
  void refresh_parameters() override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;

  bool fast_path() const { return updater_.fast(); }
  std::int32_t num_colours() const { return static_cast<std::int32_t>(class_offsets_.size()) - 1; }

 private:
  const engine::CompiledModel* model_;
  std::string name_;
  std::uint64_t seed_;
  SiteUpdater updater_;
  // Free variables by colour, in id order within a class: class c is
  // class_vars_[class_offsets_[c] .. class_offsets_[c + 1]).
  std::vector<std::int64_t> class_offsets_;
  std::vector<std::int32_t> class_vars_;
  std::int64_t sweep_evaluations_ = 0;  // factor evaluations per chain and sweep (work.h)
  // Aligned with class_vars_: each variable's number in the colour-major order (its uniform).
  std::vector<std::int64_t> class_positions_;
  // Aligned with class_vars_: the translation runs of each class (translation_runs.h).
  std::vector<std::int32_t> class_runs_;
  tbb::enumerable_thread_specific<std::vector<double>> scratch_;
};

}  // namespace dgm::inference
