#include "inference/gibbs/chromatic_gibbs.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>

#include "engine/error.h"
#include "inference/gibbs/site_uniforms.h"
#include "inference/gibbs/translation_runs.h"
#include "inference/sampling/chain_checks.h"
#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {
// Site updates per task: enough to amortise scheduling, small enough to balance two cores on
// a 10^4-site class.
constexpr std::int64_t kGrain = 512;
}  // namespace

ChromaticGibbsSampler::ChromaticGibbsSampler(const engine::CompiledModel& model,
                                             const ChromaticGibbsParams& params, std::uint64_t seed)
    : ChromaticGibbsSampler(model, model.graph->analysis.colour, model.graph->analysis.num_colours,
                            params.generic_only, seed, "chromatic-gibbs") {}

ChromaticGibbsSampler::ChromaticGibbsSampler(const engine::CompiledModel& model,
                                             std::span<const std::int32_t> colour,
                                             std::int32_t num_colours, bool generic_only,
                                             std::uint64_t seed, std::string name)
    : model_(&model),
      name_(std::move(name)),
      seed_(seed),
      updater_(model, generic_only),
      scratch_(std::vector<double>(updater_.scratch_size())) {
  sweep_evaluations_ = free_conditional_cost(model);
  const engine::Graph& g = *model.graph;
  const std::int32_t n = g.num_variables();
  if (static_cast<std::int32_t>(colour.size()) != n)
    throw Error(name_ + ": the colouring has " + std::to_string(colour.size()) + " entries for " +
                std::to_string(n) + " variables (was the model compiled without its analyses?)");
  for (std::int32_t v = 0; v < n; ++v) {
    if (colour[v] < 0 || colour[v] >= num_colours)
      throw Error(name_ + ": colour " + std::to_string(colour[v]) + " of " + g.variable_name(v) +
                  " is not in 0.." + std::to_string(num_colours - 1));
    for (std::int32_t u : g.neighbours_of(v))
      if (colour[u] == colour[v])
        throw Error(name_ + ": " + g.variable_name(v) + " and its neighbour " + g.variable_name(u) +
                    " have the same colour " + std::to_string(colour[v]));
  }
  // Counting sorts by colour (stable: id order within a class): every variable's position,
  // and the free variables by class.
  std::vector<std::int64_t> next(static_cast<std::size_t>(num_colours) + 1, 0);
  for (std::int32_t v = 0; v < n; ++v) ++next[colour[v] + 1];
  for (std::int32_t c = 0; c < num_colours; ++c) next[c + 1] += next[c];
  std::vector<std::int64_t> position(static_cast<std::size_t>(n));
  for (std::int32_t v = 0; v < n; ++v) position[v] = next[colour[v]]++;
  class_offsets_.assign(static_cast<std::size_t>(num_colours) + 1, 0);
  const std::vector<std::int32_t> free = free_variables(model);
  for (std::int32_t v : free) ++class_offsets_[colour[v] + 1];
  for (std::int32_t c = 0; c < num_colours; ++c) class_offsets_[c + 1] += class_offsets_[c];
  class_vars_.resize(free.size());
  class_positions_.resize(free.size());
  next.assign(class_offsets_.begin(), class_offsets_.end() - 1);
  for (std::int32_t v : free) {
    class_positions_[next[colour[v]]] = position[v];
    class_vars_[next[colour[v]]++] = v;
  }
  class_runs_.reserve(class_vars_.size());
  for (std::size_t c = 0; c + 1 < class_offsets_.size(); ++c) {
    const std::vector<std::int32_t> runs = translation_runs(
        g, std::span(class_vars_)
               .subspan(static_cast<std::size_t>(class_offsets_[c]),
                        static_cast<std::size_t>(class_offsets_[c + 1] - class_offsets_[c])));
    class_runs_.insert(class_runs_.end(), runs.begin(), runs.end());
  }
}

void ChromaticGibbsSampler::reset(const Chains& chains) {
  check_chain_shape(chains, *model_, name_);
}

void ChromaticGibbsSampler::refresh_parameters() { updater_.refresh(); }

SweepStats ChromaticGibbsSampler::sweep(Chains& chains, std::int64_t sweep) {
  check_chain_shape(chains, *model_, name_);
  const std::int64_t num_chains = chains.num_chains();
  std::atomic<std::int64_t> changed{0};
  for (std::size_t c = 0; c + 1 < class_offsets_.size(); ++c) {
    const std::int64_t first = class_offsets_[c];
    const std::int64_t size = class_offsets_[c + 1] - first;
    if (size == 0) continue;
    // Items i = b·size + j: member j of the class in chain b. A task updates, chain by chain,
    // runs of consecutive members, which share Philox draws and go through the fast path's
    // batches together.
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, num_chains * size, kGrain), [&](const auto& range) {
          std::span<double> scratch = scratch_.local();
          std::int64_t local_changed = 0;
          for (std::int64_t i = range.begin(); i != range.end();) {
            const std::int64_t b = i / size, j = i % size;
            const std::int64_t count = std::min(size - j, range.end() - i);
            SiteUniforms uniforms(seed_, b, sweep);
            local_changed += updater_.update_independent(
                std::span(class_vars_).subspan(static_cast<std::size_t>(first + j), count),
                std::span(class_runs_).subspan(static_cast<std::size_t>(first + j), count),
                std::span(class_positions_).subspan(static_cast<std::size_t>(first + j), count),
                chains.chain(static_cast<std::int32_t>(b)), uniforms, scratch);
            i += count;
          }
          changed.fetch_add(local_changed, std::memory_order_relaxed);
        });
  }
  SweepStats stats;
  stats.site_updates = num_chains * static_cast<std::int64_t>(class_vars_.size());
  stats.factor_evaluations = num_chains * sweep_evaluations_;
  stats.changed = changed.load();
  return stats;
}

}  // namespace dgm::inference
