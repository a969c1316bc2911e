#include "inference/gibbs/gibbs_sampler.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Random123/uniform.hpp>
#include <numeric>

#include "engine/random.h"
#include "inference/gibbs/site_uniforms.h"
#include "inference/sampling/chain_checks.h"
#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {
// ⌊a·n / 2^64⌋ for n < 2^32: a uniform 64-bit word mapped onto 0..n−1 (bias ≤ n / 2^64).
std::uint64_t scale_to(std::uint64_t a, std::uint64_t n) {
  return ((a >> 32) * n + (((a & 0xffffffffu) * n) >> 32)) >> 32;
}
}  // namespace

GibbsSampler::GibbsSampler(const engine::CompiledModel& model, const GibbsParams& params,
                           std::uint64_t seed)
    : model_(&model),
      params_(params),
      seed_(seed),
      updater_(model, params.generic_only),
      free_(free_variables(model)),
      sweep_evaluations_(free_conditional_cost(model)),
      scratch_(std::vector<double>(updater_.scratch_size())) {}

std::string_view GibbsSampler::name() const {
  return params_.scan == GibbsParams::Scan::kRandom ? "random-scan-gibbs" : "gibbs";
}

void GibbsSampler::reset(const Chains& chains) { check_chain_shape(chains, *model_, name()); }

void GibbsSampler::refresh_parameters() { updater_.refresh(); }

SweepStats GibbsSampler::sweep(Chains& chains, std::int64_t sweep) {
  check_chain_shape(chains, *model_, name());
  const std::int32_t num_chains = chains.num_chains();
  const auto num_free = static_cast<std::int64_t>(free_.size());
  const bool random_scan = params_.scan == GibbsParams::Scan::kRandom;
  changed_.assign(static_cast<std::size_t>(num_chains), 0);
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, num_chains), [&](const auto& range) {
    std::span<double> scratch = scratch_.local();
    for (std::int32_t b = range.begin(); b != range.end(); ++b) {
      const std::span<std::int32_t> x = chains.chain(b);
      std::int64_t changed = 0;
      if (!random_scan) {
        SiteUniforms uniforms(seed_, b, sweep);
        for (const std::int32_t v : free_) changed += updater_.update(v, x, uniforms(v), scratch);
      } else {
        const engine::CounterRng rng(
            seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
        for (std::int64_t t = 0; t < num_free; ++t) {
          const auto r = rng.bits(engine::sweep_counter(static_cast<std::uint64_t>(sweep),
                                                        static_cast<std::uint64_t>(t)));
          const std::uint64_t pick = (static_cast<std::uint64_t>(r[0]) << 32) | r[1];
          const std::uint64_t draw = (static_cast<std::uint64_t>(r[2]) << 32) | r[3];
          const std::int32_t v = free_[scale_to(pick, static_cast<std::uint64_t>(num_free))];
          changed += updater_.update(v, x, r123::u01<double>(draw), scratch);
        }
      }
      changed_[b] = changed;
    }
  });
  SweepStats stats;
  stats.site_updates = num_free * num_chains;
  stats.factor_evaluations = sweep_evaluations_ * num_chains;
  stats.changed = std::accumulate(changed_.begin(), changed_.end(), std::int64_t{0});
  return stats;
}

}  // namespace dgm::inference
