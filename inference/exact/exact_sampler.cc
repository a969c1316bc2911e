#include "inference/exact/exact_sampler.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <limits>
#include <numeric>
#include <span>
#include <string>

#include "engine/error.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "inference/sampling/chain_checks.h"

namespace dgm::inference {

namespace {

std::vector<std::int32_t> evidence_of(const engine::CompiledModel& model) {
  if (!model.graph) throw Error("exact sampler: the model has no graph");
  if (!model.evidence.empty()) return model.evidence;
  return std::vector<std::int32_t>(static_cast<std::size_t>(model.graph->num_variables()),
                                   engine::kFree);
}

// The end of the junction tree's refusal, for samplers: the setting that raises the limit
// here (dgm sample has no --max-table-size), and samplers that need no tables.
constexpr std::string_view kTooWideAdvice =
    "The exact sampler needs these tables: raise its limit with exact { max_table_entries: N } "
    "in the sampler configuration (--config) if there is memory for it, or use an MCMC sampler "
    "that builds no tables, such as chromatic-gibbs, gibbs or gwg (see `dgm samplers`).";

}  // namespace

ExactSampler::ExactSampler(const engine::CompiledModel& model, const ExactSamplerParams& params,
                           std::uint64_t seed)
    : model_(model),
      seed_(seed),
      evidence_(evidence_of(model)),
      tree_(model.graph, evidence_, params.max_table_entries, kTooWideAdvice) {
  refresh_parameters();
}

void ExactSampler::refresh_parameters() {
  tables_ = tree_.prepare_sampling(model_.params, evidence_);
}

SweepStats ExactSampler::sweep(Chains& chains, std::int64_t sweep) {
  check_chain_shape(chains, model_, name());
  const std::int32_t num_chains = chains.num_chains();
  const auto num_free = static_cast<std::int64_t>(tree_.order().size());
  changed_.assign(static_cast<std::size_t>(num_chains), 0);
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, num_chains), [&](const auto& range) {
    Scratch& scratch = scratch_.local();
    // Two 64-bit words, two uniforms in (0, 1], per Philox draw, all draws of a chain at once
    // (engine/philox_batch.h); the buffer has room for the odd draw's second uniform.
    const std::int64_t draws = (num_free + 1) / 2;
    scratch.uniforms.resize(static_cast<std::size_t>(2 * draws));
    for (std::int32_t b = range.begin(); b != range.end(); ++b) {
      const engine::CounterRng rng(
          seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
      engine::philox_uniform_doubles_wide(
          rng, engine::sweep_counter(static_cast<std::uint64_t>(sweep), 0), draws,
          scratch.uniforms.data());
      changed_[static_cast<std::size_t>(b)] = tree_.sample(
          tables_, std::span(scratch.uniforms).first(static_cast<std::size_t>(num_free)),
          chains.chain(b), scratch.row);
    }
  });
  SweepStats stats;
  stats.site_updates = num_free * num_chains;
  stats.factor_evaluations = tree_.sampling_evaluations() * num_chains;
  stats.changed = std::accumulate(changed_.begin(), changed_.end(), std::int64_t{0});
  return stats;
}

std::vector<SamplerFigure> ExactSampler::figures() const {
  return {{"log_z", tables_.log_z, std::numeric_limits<double>::quiet_NaN(),
           "exact log Z given the evidence (junction tree), which the samples are drawn under"}};
}

}  // namespace dgm::inference
