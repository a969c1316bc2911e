#include "inference/ais/generic_ais.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "engine/log_potential.h"
#include "engine/random.h"
#include "factors/infinity.h"
#include "inference/model_views/conditional.h"
#include "inference/sampling/draw.h"

namespace dgm::inference {

namespace {

// βs per block between progress reports and stop checks.
constexpr std::int64_t kBlock = 64;
// βs between two recomputations of a run's f_1 and f_0 from its state.
constexpr std::int64_t kRecompute = 1024;

struct Run {
  std::vector<std::int32_t> x;
  double f1 = 0, f0 = 0, log_weight = 0;
};

}  // namespace

std::int64_t run_generic_ais(const engine::CompiledModel& model, const BaseModel& base,
                             std::span<const double> betas, const AisOptions& options,
                             std::span<double> log_weights) {
  const engine::Graph& g = *model.graph;
  const Conditional conditional(model);
  const auto num_betas = static_cast<std::int64_t>(betas.size());
  std::vector<std::int32_t> free_vars;
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (base.is_free(v)) free_vars.push_back(v);
  std::vector<Run> runs(static_cast<std::size_t>(options.runs));
  auto stream = [&](std::size_t m) {
    return engine::CounterRng(options.seed,
                              engine::stream_id(engine::StreamPurpose::kAnnealing, m));
  };

  tbb::parallel_for(std::size_t{0}, runs.size(), [&](std::size_t m) {
    Run& r = runs[m];
    r.x.resize(static_cast<std::size_t>(g.num_variables()));
    base.sample(stream(m), r.x);
    r.f1 = engine::total_log_potential(model, r.x);
    r.f0 = base.log_potential(r.x);
  });

  // Steps k in [k0, k1) of run m: the weight at β_k, then (k < K − 1) the transition at β_k.
  auto advance = [&](std::size_t m, std::int64_t k0, std::int64_t k1) {
    Run& r = runs[m];
    const engine::CounterRng rng = stream(m);
    std::vector<double> terms(static_cast<std::size_t>(conditional.max_cardinality()));
    std::vector<double> logp(terms.size());
    for (std::int64_t k = k0; k < k1; ++k) {
      if (r.log_weight == kNegInf) return;  // weight 0: the run has stopped
      const double beta = betas[static_cast<std::size_t>(k)];
      // f_1 = −∞ (a base draw the model forbids) gives −∞ for any β_k > 0.
      r.log_weight += (beta - betas[static_cast<std::size_t>(k - 1)]) * (r.f1 - r.f0);
      if (r.log_weight == kNegInf || k == num_betas - 1) continue;
      for (const std::int32_t v : free_vars) {
        const std::int32_t card = g.cardinality[static_cast<std::size_t>(v)];
        const std::span<double> t(terms.data(), static_cast<std::size_t>(card));
        conditional.log_probabilities(v, r.x, t);
        const std::span<const double> u = base.of(v);
        for (std::int32_t s = 0; s < card; ++s)
          logp[static_cast<std::size_t>(s)] =
              (1.0 - beta) * u[static_cast<std::size_t>(s)] + beta * t[static_cast<std::size_t>(s)];
        const std::int32_t old = r.x[static_cast<std::size_t>(v)];
        const std::int32_t next = draw_from_log_probabilities(
            std::span<double>(logp.data(), static_cast<std::size_t>(card)),
            rng.uniform(engine::sweep_counter(static_cast<std::uint64_t>(k),
                                              static_cast<std::uint64_t>(v))),
            old);
        if (next == old) continue;
        r.f1 += t[static_cast<std::size_t>(next)] - t[static_cast<std::size_t>(old)];
        r.f0 += u[static_cast<std::size_t>(next)] - u[static_cast<std::size_t>(old)];
        r.x[static_cast<std::size_t>(v)] = next;
      }
      if (k % kRecompute == 0) {
        r.f1 = engine::total_log_potential(model, r.x);
        r.f0 = base.log_potential(r.x);
      }
    }
  };

  std::int64_t done = 1;  // β_0: the base draws
  while (done < num_betas) {
    if (options.stop != nullptr && options.stop->load()) break;
    const std::int64_t end = std::min(num_betas, done + kBlock);
    tbb::parallel_for(std::size_t{0}, runs.size(), [&](std::size_t m) { advance(m, done, end); });
    done = end;
    if (options.progress) options.progress(done, num_betas);
  }
  for (std::size_t m = 0; m < runs.size(); ++m) log_weights[m] = runs[m].log_weight;
  return done;
}

}  // namespace dgm::inference
