#include "inference/sampling/chains.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>

#include "engine/error.h"
#include "engine/random.h"

namespace dgm::inference {

void init_uniform(Chains& chains, const engine::CompiledModel& model, std::uint64_t seed) {
  const engine::Graph& g = *model.graph;
  for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
    const engine::CounterRng rng(seed, engine::stream_id(engine::StreamPurpose::kChainInit, b));
    auto x = chains.chain(b);
    for (std::int32_t v = 0; v < g.num_variables(); ++v) {
      const std::int32_t clamp = model.evidence[v];
      if (clamp != engine::kFree) {
        x[v] = clamp;
        continue;
      }
      const auto k =
          static_cast<std::int32_t>(rng.uniform(static_cast<std::uint64_t>(v)) * g.cardinality[v]);
      x[v] = std::min(k, g.cardinality[v] - 1);  // uniform() is in (0, 1]
    }
  }
}

void init_from_rows(Chains& chains, const engine::CompiledModel& model,
                    std::span<const std::int32_t> rows, std::int64_t num_rows,
                    const std::string& source) {
  const engine::Graph& g = *model.graph;
  const std::int32_t n = g.num_variables();
  if (num_rows <= 0) throw Error(source + ": no initial states given");
  if (static_cast<std::int64_t>(rows.size()) != num_rows * n)
    throw Error(source + ": initial states have " + std::to_string(rows.size()) +
                " values; expected rows of " + std::to_string(n) + " (one per variable)");
  // Rows in parallel (learning sets a batch of states every update), branch-free; the first
  // bad value is then searched for the message. Every row is checked before any is written.
  std::atomic<bool> bad{false};
  tbb::parallel_for(std::int64_t{0}, num_rows, [&](std::int64_t r) {
    bool out_of_range = false;
    for (std::int32_t v = 0; v < n; ++v) {
      const std::int32_t x = rows[r * n + v];
      out_of_range |= (x < 0) | (x >= g.cardinality[v]);
    }
    if (out_of_range) bad.store(true, std::memory_order_relaxed);
  });
  if (bad.load())
    for (std::int64_t r = 0; r < num_rows; ++r)
      for (std::int32_t v = 0; v < n; ++v) {
        const std::int32_t x = rows[r * n + v];
        if (x < 0 || x >= g.cardinality[v])
          throw Error(source + ": row " + std::to_string(r) + ", variable " + g.variable_name(v) +
                      ": state " + std::to_string(x) + " out of range 0.." +
                      std::to_string(g.cardinality[v] - 1));
      }
  tbb::parallel_for(std::int32_t{0}, chains.num_chains(), [&](std::int32_t b) {
    auto x = chains.chain(b);
    const std::int32_t* row = rows.data() + (b % num_rows) * n;
    for (std::int32_t v = 0; v < n; ++v)
      x[v] = model.evidence[v] != engine::kFree ? model.evidence[v] : row[v];
  });
}

std::int32_t replace_impossible_starts(Chains& chains, const engine::CompiledModel& model,
                                       std::span<const std::int32_t> valid) {
  std::int32_t replaced = 0;
  for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
    auto x = chains.chain(b);
    if (zero_probability_reason(model, x).empty()) continue;
    std::copy(valid.begin(), valid.end(), x.begin());
    ++replaced;
  }
  return replaced;
}

void require_positive_probability(const Chains& chains, const engine::CompiledModel& model) {
  if (engine::every_state_possible(model)) return;
  for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
    const std::string reason = zero_probability_reason(model, chains.chain(b));
    if (!reason.empty())
      throw Error("chain " + std::to_string(b) + " starts in a state of probability zero: " +
                  reason + "; give valid starting states with --init-rows FILE.npy");
  }
}

}  // namespace dgm::inference
