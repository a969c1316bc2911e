#include "learning/clamped_hidden.h"

#include <tbb/parallel_for.h>

#include <string>

#include "engine/error.h"
#include "engine/random.h"
#include "inference/sampling/draw.h"

namespace dgm::learning {

ClampedHidden::ClampedHidden(const engine::CompiledModel& model, std::vector<std::int32_t> hidden,
                             std::int64_t examples, std::int64_t sweeps, std::uint64_t seed)
    : model_(model),
      conditional_(model),
      hidden_(std::move(hidden)),
      examples_(examples),
      sweeps_(sweeps),
      seed_(seed) {
  if (sweeps < 1)
    throw Error("learning: sampling hidden variables needs at least one sweep per update (got " +
                std::to_string(sweeps) + ")");
  const std::size_t h = hidden_.size();
  chains_.resize(static_cast<std::size_t>(examples) * h);
  for (std::int64_t r = 0; r < examples; ++r) {
    const engine::CounterRng rng(
        seed_, engine::stream_id(engine::StreamPurpose::kChainInit, static_cast<std::uint64_t>(r)));
    for (std::size_t j = 0; j < h; ++j) {
      const std::int32_t k = model.graph->cardinality[hidden_[j]];
      const double u = rng.uniform(j);  // (0, 1]
      chains_[static_cast<std::size_t>(r) * h + j] =
          std::min(k - 1, static_cast<std::int32_t>((1.0 - u) * k));
    }
  }
}

void ClampedHidden::sample(std::span<std::int32_t> states, std::span<const std::int64_t> rows,
                           std::int64_t update) {
  const std::size_t n = static_cast<std::size_t>(model_.graph->num_variables());
  const std::size_t h = hidden_.size();
  tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t b) {
    const std::int64_t r = rows[b];
    std::span<std::int32_t> x = states.subspan(b * n, n);
    std::int32_t* chain = chains_.data() + static_cast<std::size_t>(r) * h;
    for (std::size_t j = 0; j < h; ++j) x[static_cast<std::size_t>(hidden_[j])] = chain[j];
    const engine::CounterRng rng(
        seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(r)));
    std::vector<double> logp(static_cast<std::size_t>(conditional_.max_cardinality()));
    for (std::int64_t s = 0; s < sweeps_; ++s) {
      const auto sweep = static_cast<std::uint64_t>(update * sweeps_ + s);
      for (std::size_t j = 0; j < h; ++j) {
        const std::int32_t v = hidden_[j];
        const std::int32_t k = model_.graph->cardinality[v];
        conditional_.log_probabilities(v, x, logp);
        const double u = rng.uniform(engine::sweep_counter(sweep, j));
        x[static_cast<std::size_t>(v)] = inference::draw_from_log_probabilities(
            std::span<double>(logp.data(), static_cast<std::size_t>(k)), u,
            x[static_cast<std::size_t>(v)]);
      }
    }
    for (std::size_t j = 0; j < h; ++j) chain[j] = x[static_cast<std::size_t>(hidden_[j])];
  });
}

void ClampedHidden::restore(std::span<const std::int32_t> chains) {
  if (chains.size() != chains_.size())
    throw Error("learning: " + std::to_string(chains.size()) + " saved hidden values for " +
                std::to_string(examples_) + " examples of " + std::to_string(hidden_.size()) +
                " hidden variables");
  for (std::size_t i = 0; i < chains.size(); ++i) {
    const std::int32_t k = model_.graph->cardinality[hidden_[i % hidden_.size()]];
    if (chains[i] < 0 || chains[i] >= k)
      throw Error("learning: a saved hidden value (" + std::to_string(chains[i]) +
                  ") is not a state of its variable");
  }
  std::copy(chains.begin(), chains.end(), chains_.begin());
}

}  // namespace dgm::learning
