#pragma once
// The `exact` sampler: every sweep replaces each chain's state by an independent exact draw
// from p(x | evidence), by forward filtering, backward sampling on the junction tree of exact
// inference (JunctionTree::prepare_sampling and JunctionTree::sample; Dawid 1992,
// "Applications of a general propagation algorithm for probabilistic expert systems";
// Koller & Friedman 2009, §12.1).
//
// The sum-product collect pass runs once per parameter version (constructor and
// refresh_parameters(), O(Σ clique tables)); a sample then costs O(Σ_v K_v · (bucket factors +
// children)) — one conditional row per free variable read from the kept tables, no table
// built and nothing allocated per sample. Samples are exact and independent (the chains'
// previous states are never read), so n samples have an effective sample size of n.
//
// Randomness: chain b at sweep t draws the variable at elimination position i by inversion
// with a 53-bit uniform from the Philox stream (seed, StreamPurpose::kSweep, chain b), counter
// sweep_counter(t, i / 2), words 2·(i mod 2) and 2·(i mod 2) + 1: samples depend on (seed,
// chain, sweep) only, never on the threads or the other chains.
//
// Affordability: the model must fit the table limit (ExactSamplerParams::max_table_entries);
// otherwise the constructor throws the junction tree's refusal (the induced width and the table
// needed) with advice for samplers. Evidence of probability zero is a dgm::Error too.
#include <tbb/enumerable_thread_specific.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/exact/junction_tree.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

struct ExactSamplerParams {
  // Largest clique table (entries) the sampler may build (ExactSamplerConfig).
  std::int64_t max_table_entries = ExactOptions{}.max_table_entries;
};

class ExactSampler : public Sampler {
 public:
  // Plans the junction tree and runs the collect pass. Throws dgm::Error when the model is too
  // wide for `params.max_table_entries` or its evidence has probability zero.
  ExactSampler(const engine::CompiledModel& model, const ExactSamplerParams& params,
               std::uint64_t seed);

  std::string_view name() const override { return "exact"; }
  // Recomputes the collect pass's messages for the model's current parameter values.
  void refresh_parameters() override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;
  bool needs_valid_start() const override { return false; }
  // log_z: the exact log Z (given the evidence) the samples are drawn under.
  std::vector<SamplerFigure> figures() const override;

  const JunctionTree& tree() const { return tree_; }

 private:
  struct Scratch {
    std::vector<double> uniforms;  // one per free variable, by elimination position
    std::vector<double> row;       // JunctionTree::sample's conditional row
  };

  const engine::CompiledModel& model_;
  std::uint64_t seed_;
  std::vector<std::int32_t> evidence_;  // per variable: a state or engine::kFree
  JunctionTree tree_;
  SamplingTables tables_;
  tbb::enumerable_thread_specific<Scratch> scratch_;
  std::vector<std::int64_t> changed_;  // per chain, in the last sweep
};

}  // namespace dgm::inference
