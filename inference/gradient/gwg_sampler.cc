#include "inference/gradient/gwg_sampler.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Random123/uniform.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"
#include "factors/infinity.h"
#include "inference/sampling/chain_checks.h"
#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {

// Range of the stored weights exp(Δ/2 − shift): beyond it the tree is rebuilt with a new shift.
constexpr double kMaxExponent = 200.0;
const double kMinTotal = std::exp(-200.0);

// Uniform j ∈ (0, 1] of a step from its Philox draws (two 64-bit uniforms per draw).
struct StepUniforms {
  const engine::CounterRng& rng;
  std::uint64_t sweep, first;
  double operator()(std::uint64_t j) const {
    const auto r = rng.bits(engine::sweep_counter(sweep, first + j / 2));
    const std::size_t w = 2 * (j % 2);
    return r123::u01<double>((static_cast<std::uint64_t>(r[w]) << 32) | r[w + 1]);
  }
};

}  // namespace

GwgSampler::GwgSampler(const engine::CompiledModel& model, const GwgParams& params,
                       std::uint64_t seed)
    : model_(&model), params_(params), seed_(seed), scores_(model, params.common.generic_only) {
  validate_num_flips(params.num_flips);
  const auto num_free = static_cast<std::int64_t>(scores_.free_variables().size());
  steps_per_sweep_ =
      scores_.num_slots() == 0 ? 0 : std::max<std::int64_t>(1, num_free / params.num_flips);
  words_per_step_ = (static_cast<std::uint64_t>(params.num_flips) + 2) / 2;
  rescore_all_cost_ = free_conditional_cost(model);
  rescore_cost_ = mean_rescore_cost(model);
}

void GwgSampler::reset(const Chains& chains) {
  check_chain_shape(chains, *model_, name());
  // A chain in a zero-probability state has +inf flip scores and would never move.
  require_positive_probability(chains, *model_);
  chains_.clear();
}

void GwgSampler::refresh_parameters() {
  scores_.refresh();
  chains_.clear();  // the fast path may have been switched on or off: size afresh
}

void GwgSampler::prepare(std::int32_t num_chains) {
  if (static_cast<std::int32_t>(chains_.size()) == num_chains) return;
  const engine::Graph& g = *model_->graph;
  const auto n = static_cast<std::size_t>(g.num_variables());
  const auto slots = static_cast<std::size_t>(scores_.num_slots());
  chains_.clear();
  chains_.resize(static_cast<std::size_t>(num_chains));
  for (ChainState& c : chains_) {
    c.field.assign(scores_.fast() ? n : 0, 0.0);
    c.delta.assign(slots, 0.0);
    c.tree.resize(static_cast<std::int64_t>(slots));
    if (params_.full_recompute) {
      c.field_next = c.field;
      c.delta_next = c.delta;
      c.tree_next.resize(static_cast<std::int64_t>(slots));
    }
    c.scratch.assign(scores_.scratch_size(), 0.0);
    c.mark.assign(n, 0);
    if (!scores_.fast()) c.local.emplace(*model_);
  }
  chain_stats_.assign(static_cast<std::size_t>(num_chains), {});
}

void GwgSampler::rebuild(std::span<const double> delta, SumTree& tree, double& shift) {
  double max = kNegInf;
  for (const double d : delta) max = std::max(max, d);
  shift = max == kNegInf ? 0.0 : 0.5 * max;
  const std::span<double> leaves = tree.leaves();
  for (std::size_t s = 0; s < delta.size(); ++s) leaves[s] = std::exp(0.5 * delta[s] - shift);
  tree.recompute();
}

void GwgSampler::rescore_all(ChainState& c, std::span<const std::int32_t> x) const {
  scores_.compute_all(x, c.field, c.delta, c.scratch);
  require_usable_scores(c.delta, "gwg");
  rebuild(c.delta, c.tree, c.shift);
}

std::vector<double> GwgSampler::recomputed_scores(std::span<const std::int32_t> x) const {
  std::vector<double> field(scores_.fast() ? x.size() : 0);
  std::vector<double> delta(static_cast<std::size_t>(scores_.num_slots()));
  std::vector<double> scratch(scores_.scratch_size());
  scores_.compute_all(x, field, delta, scratch);
  return delta;
}

double GwgSampler::fast_difference(const ChainState& c) const {
  // f = bᵀx + ½xᵀWx (W symmetric, zero diagonal) gives f(x') − f(x) = ½ Σ_v d_v (L_v(x) +
  // L_v(x')) over the changed variables, d = x' − x, L = b + Wx the fields.
  double sum = 0.0;
  for (std::size_t i = 0; i < c.changes.size(); ++i) {
    const std::int32_t v = c.changes[i].first;
    const std::int32_t d = c.new_states[i] - c.changes[i].second;
    sum += d * (c.old_field[i] + c.field[static_cast<std::size_t>(v)]);
  }
  return 0.5 * sum;
}

GwgSampler::Outcome GwgSampler::step(ChainState& c, std::span<std::int32_t> x,
                                     const engine::CounterRng& rng, std::uint64_t sweep,
                                     std::uint64_t t) const {
  const double total = c.tree.total();
  if (!(total > 0.0)) return Outcome::kNone;  // no move of positive probability
  const engine::Graph& g = *model_->graph;
  const auto n = static_cast<std::uint64_t>(params_.num_flips);
  const StepUniforms uniform{rng, sweep, t * words_per_step_};

  // Draw n slots from q(· | x); each drawn variable takes its last draw's state.
  c.draws.clear();
  c.changes.clear();
  c.new_states.clear();
  double forward = 0.0;
  for (std::uint64_t j = 0; j < n; ++j) {
    const std::int64_t s = c.tree.sample(1.0 - uniform(j));
    c.draws.push_back(s);
    forward += 0.5 * c.delta[static_cast<std::size_t>(s)];
    const std::int32_t v = scores_.slot_variable(s);
    const std::int32_t k = scores_.slot_state(s, x[v]);
    std::size_t i = 0;
    while (i < c.changes.size() && c.changes[i].first != v) ++i;
    if (i == c.changes.size()) {
      c.changes.emplace_back(v, x[v]);
      c.new_states.push_back(k);
    } else {
      c.new_states[i] = k;
    }
  }
  const double forward_normaliser = static_cast<double>(n) * (c.shift + std::log(total));
  forward -= forward_normaliser;
  // The reverse normaliser, or (testing a wrong MH ratio) the forward one.
  auto reverse_normaliser = [&](double shift, double reverse_total) {
    return params_.wrong_reverse_for_testing
               ? forward_normaliser
               : static_cast<double>(n) * (shift + std::log(reverse_total));
  };
  const bool single = n == 1;

  auto revert_x = [&] {
    for (const auto& [v, old] : c.changes) x[v] = old;
  };
  for (std::size_t i = 0; i < c.changes.size(); ++i) x[c.changes[i].first] = c.new_states[i];

  // f(x') − f(x). The generic multi-flip case may find x' impossible: reject before touching
  // any score.
  double difference = 0.0;
  if (single) {
    difference = c.delta[static_cast<std::size_t>(c.draws[0])];
  } else if (!scores_.fast()) {
    difference = (*c.local)(x, c.changes);
    if (!(difference > kNegInf)) {
      revert_x();
      return Outcome::kRejected;
    }
  }

  // Reverse draws: the same slots at x', each state relabelled by (x_v x'_v).
  auto reverse_slot = [&](std::int64_t s) {
    const std::int32_t v = scores_.slot_variable(s);
    if (g.cardinality[v] == 2) return s;
    std::size_t i = 0;
    while (c.changes[i].first != v) ++i;
    const std::int32_t k = scores_.slot_state(s, c.changes[i].second);
    return scores_.slot_of(v, k == c.new_states[i] ? c.changes[i].second : k);
  };
  auto accept = [&](double log_ratio) {
    return log_ratio >= 0.0 || uniform(n) <= std::exp(log_ratio);  // NaN rejects
  };

  if (params_.full_recompute) {
    // The reference implementations' step: every score at x' from scratch.
    scores_.compute_all(x, c.field_next, c.delta_next, c.scratch);
    rebuild(c.delta_next, c.tree_next, c.shift_next);
    if (!single && scores_.fast()) {
      c.old_field.clear();
      for (const auto& change : c.changes)
        c.old_field.push_back(c.field[static_cast<std::size_t>(change.first)]);
      double sum = 0.0;
      for (std::size_t i = 0; i < c.changes.size(); ++i)
        sum += (c.new_states[i] - c.changes[i].second) *
               (c.old_field[i] + c.field_next[static_cast<std::size_t>(c.changes[i].first)]);
      difference = 0.5 * sum;
    }
    double reverse = 0.0;
    for (const std::int64_t s : c.draws)
      reverse += 0.5 * c.delta_next[static_cast<std::size_t>(reverse_slot(s))];
    reverse -= reverse_normaliser(c.shift_next, c.tree_next.total());
    if (!accept(difference + reverse - forward)) {
      revert_x();
      return Outcome::kRejected;
    }
    std::swap(c.field, c.field_next);
    std::swap(c.delta, c.delta_next);
    std::swap(c.tree, c.tree_next);
    std::swap(c.shift, c.shift_next);
    return Outcome::kAccepted;
  }

  // The touched variables: the changed ones and their free neighbours, each once.
  if (++c.epoch == 0) {
    std::fill(c.mark.begin(), c.mark.end(), 0);
    c.epoch = 1;
  }
  c.touched.clear();
  auto touch = [&](std::int32_t v) {
    if (scores_.is_free(v) && c.mark[static_cast<std::size_t>(v)] != c.epoch) {
      c.mark[static_cast<std::size_t>(v)] = c.epoch;
      c.touched.push_back(v);
    }
  };
  for (const auto& change : c.changes) {
    touch(change.first);
    for (const std::int32_t u : g.neighbours_of(change.first)) touch(u);
  }

  // Fast path: save the touched fields, then move them.
  c.saved_field.clear();
  if (scores_.fast()) {
    for (const std::int32_t v : c.touched) c.saved_field.emplace_back(v, c.field[v]);
    c.old_field.clear();
    for (const auto& change : c.changes)
      c.old_field.push_back(c.field[static_cast<std::size_t>(change.first)]);
    for (std::size_t i = 0; i < c.changes.size(); ++i)
      scores_.add_field_change(c.changes[i].first, c.new_states[i] - c.changes[i].second, c.field);
    if (!single) difference = fast_difference(c);
  }

  // Rescore the touched variables, saving what they held.
  c.saved_slots.clear();
  bool out_of_range = false;
  for (const std::int32_t v : c.touched) {
    const std::int64_t first = scores_.first_slot(v);
    const std::int32_t count = scores_.num_slots_of(v);
    for (std::int64_t s = first; s < first + count; ++s)
      c.saved_slots.push_back({s, c.delta[static_cast<std::size_t>(s)], c.tree.leaf(s)});
    scores_.rescore(v, x, c.field, c.delta, c.scratch);
    for (std::int64_t s = first; s < first + count; ++s) {
      const double exponent = 0.5 * c.delta[static_cast<std::size_t>(s)] - c.shift;
      out_of_range = out_of_range || exponent > kMaxExponent;
      c.tree.set(s, exponent > kMaxExponent ? 0.0 : std::exp(exponent));
    }
  }
  const bool rebuilt = out_of_range || c.tree.total() < kMinTotal;
  if (rebuilt) rebuild(c.delta, c.tree, c.shift);

  double reverse = 0.0;
  for (const std::int64_t s : c.draws)
    reverse += 0.5 * c.delta[static_cast<std::size_t>(reverse_slot(s))];
  reverse -= reverse_normaliser(c.shift, c.tree.total());
  if (accept(difference + reverse - forward)) return Outcome::kAccepted;

  // Rejected: put everything back.
  revert_x();
  for (const auto& [v, value] : c.saved_field) c.field[static_cast<std::size_t>(v)] = value;
  for (const SavedSlot& saved : c.saved_slots) {
    c.delta[static_cast<std::size_t>(saved.slot)] = saved.delta;
    if (!rebuilt) c.tree.set(saved.slot, saved.leaf);
  }
  if (rebuilt) rebuild(c.delta, c.tree, c.shift);
  return Outcome::kRejected;
}

SweepStats GwgSampler::advance(Chains& chains, std::int64_t sweep, std::int64_t steps,
                               bool rescore) {
  check_chain_shape(chains, *model_, name());
  const std::int32_t num_chains = chains.num_chains();
  prepare(num_chains);
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, num_chains), [&](const auto& range) {
    for (std::int32_t b = range.begin(); b != range.end(); ++b) {
      ChainState& c = chains_[static_cast<std::size_t>(b)];
      const std::span<std::int32_t> x = chains.chain(b);
      if (rescore) rescore_all(c, x);
      const engine::CounterRng rng(
          seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
      SweepStats stats;
      if (rescore) stats.factor_evaluations = rescore_all_cost_;
      for (std::int64_t t = 0; t < steps; ++t) {
        const Outcome outcome =
            step(c, x, rng, static_cast<std::uint64_t>(sweep), static_cast<std::uint64_t>(t));
        if (outcome == Outcome::kNone) continue;
        const auto moved = static_cast<std::int64_t>(c.changes.size());
        ++stats.proposals;
        stats.site_updates += moved;
        stats.factor_evaluations +=
            static_cast<std::int64_t>(std::llround(static_cast<double>(moved) * rescore_cost_));
        if (outcome == Outcome::kAccepted) {
          ++stats.accepted;
          stats.changed += moved;
        }
      }
      chain_stats_[static_cast<std::size_t>(b)] = stats;
    }
  });
  SweepStats total;
  for (const SweepStats& s : chain_stats_) total += s;
  return total;
}

SweepStats GwgSampler::sweep(Chains& chains, std::int64_t sweep) {
  return advance(chains, sweep, steps_per_sweep_, /*rescore=*/true);
}

}  // namespace dgm::inference
