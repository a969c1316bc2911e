#include "inference/gradient/flip_scores.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"
#include "factors/factor_eval.h"
#include "factors/infinity.h"

namespace dgm::inference {

FlipScores::FlipScores(const engine::CompiledModel& model, bool generic_only)
    : model_(&model), graph_(model.graph.get()), generic_only_(generic_only), conditional_(model) {
  const engine::Graph& g = *graph_;
  const std::int32_t n = g.num_variables();
  first_slot_.assign(static_cast<std::size_t>(n), -1);
  for (std::int32_t v = 0; v < n; ++v) {
    max_cardinality_ = std::max(max_cardinality_, g.cardinality[v]);
    if (!model.evidence.empty() && model.evidence[v] != engine::kFree) continue;
    free_.push_back(v);
    first_slot_[v] = static_cast<std::int64_t>(slot_var_.size());
    const std::int32_t slots = g.cardinality[v] == 2 ? 1 : g.cardinality[v];
    slot_var_.insert(slot_var_.end(), static_cast<std::size_t>(slots), v);
  }
  if (!generic_only && BinaryPairwise::eligible(g)) pairwise_.emplace(model);
  refresh();
}

void FlipScores::refresh() {
  fast_ = false;
  if (!pairwise_) return;
  fast_ = pairwise_->refresh();
  coupling_.assign(pairwise_->coupling().begin(), pairwise_->coupling().end());
}

void FlipScores::generic_scores(std::int32_t v, std::span<const std::int32_t> x,
                                std::span<double> out, std::span<double> scratch) const {
  const std::int32_t k_v = graph_->cardinality[v];
  conditional_.log_probabilities(v, x, scratch);
  const double here = scratch[static_cast<std::size_t>(x[v])];
  if (k_v == 2) {
    out[0] = scratch[static_cast<std::size_t>(1 - x[v])] - here;
    return;
  }
  for (std::int32_t k = 0; k < k_v; ++k)
    out[static_cast<std::size_t>(k)] =
        k == x[v] ? kNegInf : scratch[static_cast<std::size_t>(k)] - here;
}

void FlipScores::compute_all(std::span<const std::int32_t> x, std::span<double> field,
                             std::span<double> delta, std::span<double> scratch) const {
  if (fast_) {
    for (const std::int32_t v : free_) field[v] = pairwise_->log_odds(v, x);
  }
  for (const std::int32_t v : free_) rescore(v, x, field, delta, scratch);
}

LocalDifference::LocalDifference(const engine::CompiledModel& model)
    : model_(&model), mark_(static_cast<std::size_t>(model.graph->num_factors()), 0) {}

double LocalDifference::operator()(std::span<std::int32_t> x,
                                   std::span<const std::pair<std::int32_t, std::int32_t>> changes) {
  const engine::Graph& g = *model_->graph;
  if (++epoch_ == 0) {  // wrapped: forget every mark
    std::fill(mark_.begin(), mark_.end(), 0);
    epoch_ = 1;
  }
  factors_.clear();
  for (const auto& [v, old] : changes)
    for (const std::int32_t f : g.factors_of(v))
      if (mark_[static_cast<std::size_t>(f)] != epoch_) {
        mark_[static_cast<std::size_t>(f)] = epoch_;
        factors_.push_back(f);
      }
  auto sum = [&] {
    double total = 0.0;
    for (const std::int32_t f : factors_) {
      const factors::FactorBlock& block = g.block_of(f);
      states_.clear();
      for (const std::int32_t u : g.scope(f)) states_.push_back(x[u]);
      total += factors::log_potential(block, f - block.first_factor, model_->params.values,
                                      g.enum_configs, states_);
    }
    return total;
  };
  const double after = sum();
  if (after == kNegInf) return kNegInf;
  new_values_.clear();
  for (const auto& [v, old] : changes) {
    new_values_.push_back(x[v]);
    x[v] = old;
  }
  const double before = sum();
  for (std::size_t i = 0; i < changes.size(); ++i) x[changes[i].first] = new_values_[i];
  return after - before;
}

void require_usable_scores(std::span<const double> delta, const char* sampler) {
  for (const double d : delta) {
    if (std::isnan(d) || d == kPosInf) {
      throw Error(std::string(sampler) +
                  ": a flip score is +inf or NaN: the chain is in a state of probability zero, "
                  "or the log-potentials are too large for double precision");
    }
  }
}

}  // namespace dgm::inference
