#include "inference/gradient/dlp_sampler.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "factors/infinity.h"
#include "inference/sampling/chain_checks.h"
#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {

// log σ(z), stable for large |z|; log σ(−∞) = −∞, log σ(+∞) = 0.
double log_sigmoid(double z) {
  return z >= 0.0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z));
}

// The logits of a categorical variable's states at x_v = `current` into `logits` (K entries);
// returns their log-sum-exp.
double categorical_logits(std::span<const double> delta, std::int32_t current, double inverse_step,
                          std::span<double> logits) {
  double max = kNegInf;
  for (std::size_t k = 0; k < logits.size(); ++k) {
    logits[k] = static_cast<std::int32_t>(k) == current ? 0.0 : 0.5 * delta[k] - inverse_step;
    max = std::max(max, logits[k]);
  }
  double sum = 0.0;
  for (const double l : logits) sum += std::exp(l - max);
  return max + std::log(sum);
}

}  // namespace

DlpSampler::DlpSampler(const engine::CompiledModel& model, const DlpParams& params,
                       std::uint64_t seed)
    : model_(&model), params_(params), seed_(seed), scores_(model, params.common.generic_only) {
  validate_step_size(params.metropolis ? "dmala" : "dula", params.step_size);
  step_evaluations_ = free_conditional_cost(model);
}

void DlpSampler::reset(const Chains& chains) {
  check_chain_shape(chains, *model_, name());
  // A chain in a zero-probability state has +inf flip scores and would never move.
  require_positive_probability(chains, *model_);
  chains_.clear();
}

void DlpSampler::refresh_parameters() {
  scores_.refresh();
  chains_.clear();
}

void DlpSampler::prepare(std::int32_t num_chains) {
  if (static_cast<std::int32_t>(chains_.size()) == num_chains) return;
  const auto n = static_cast<std::size_t>(model_->graph->num_variables());
  const auto slots = static_cast<std::size_t>(scores_.num_slots());
  chains_.clear();
  chains_.resize(static_cast<std::size_t>(num_chains));
  for (ChainState& c : chains_) {
    c.field.assign(scores_.fast() ? n : 0, 0.0);
    c.field_next = c.field;
    c.delta.assign(slots, 0.0);
    c.delta_next = c.delta;
    c.scratch.assign(scores_.scratch_size(), 0.0);
    c.logits.assign(scores_.scratch_size(), 0.0);
    if (!scores_.fast()) c.local.emplace(*model_);
  }
  chain_stats_.assign(static_cast<std::size_t>(num_chains), {});
}

double DlpSampler::log_proposal(std::span<const std::int32_t> from,
                                std::span<const std::int32_t> to, std::span<const double> delta,
                                std::vector<double>& logits) const {
  const engine::Graph& g = *model_->graph;
  const double inverse_step = 1.0 / params_.step_size;
  double sum = 0.0;
  for (const std::int32_t v : scores_.free_variables()) {
    const std::int64_t s = scores_.first_slot(v);
    const std::int32_t k_v = g.cardinality[v];
    if (k_v == 2) {
      const double z = 0.5 * delta[static_cast<std::size_t>(s)] - 0.5 * inverse_step;
      sum += log_sigmoid(from[v] != to[v] ? z : -z);
    } else {
      const std::span<double> l(logits.data(), static_cast<std::size_t>(k_v));
      const double lse = categorical_logits(
          delta.subspan(static_cast<std::size_t>(s), static_cast<std::size_t>(k_v)), from[v],
          inverse_step, l);
      sum += l[static_cast<std::size_t>(to[v])] - lse;
    }
  }
  return sum;
}

bool DlpSampler::step(ChainState& c, std::span<std::int32_t> x, std::int32_t b,
                      std::uint64_t sweep) {
  const engine::Graph& g = *model_->graph;
  if (c.x.size() != x.size() || !std::equal(x.begin(), x.end(), c.x.begin())) {
    scores_.compute_all(x, c.field, c.delta, c.scratch);
    require_usable_scores(c.delta, name().data());
    c.x.assign(x.begin(), x.end());
  }
  const engine::CounterRng rng(
      seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
  const std::span<const std::int32_t> free = scores_.free_variables();
  // Uniform j ∈ (0, 1]: the 64-bit words (2j mod 4, 2j mod 4 + 1) of the Philox draw j / 2; one
  // per free variable, then the acceptance's at the next whole draw. All of the step's draws
  // at once (engine/philox_batch.h).
  const auto draws = static_cast<std::int64_t>((free.size() + 1) / 2 + 1);
  c.uniforms.resize(static_cast<std::size_t>(2 * draws));
  engine::philox_uniform_doubles_wide(rng, engine::sweep_counter(sweep, 0), draws,
                                      c.uniforms.data());
  auto uniform = [&](std::uint64_t j) { return c.uniforms[j]; };

  // Propose: every free variable independently.
  const double inverse_step = 1.0 / params_.step_size;
  c.changes.clear();
  for (std::size_t j = 0; j < free.size(); ++j) {
    const std::int32_t v = free[j];
    const std::int64_t s = scores_.first_slot(v);
    const std::int32_t k_v = g.cardinality[v];
    const double u = uniform(j);
    std::int32_t next = x[v];
    if (k_v == 2) {
      const double z = 0.5 * c.delta[static_cast<std::size_t>(s)] - 0.5 * inverse_step;
      if (u * (1.0 + std::exp(-z)) <= 1.0) next = 1 - x[v];  // u ≤ σ(z); z = −∞ never flips
    } else {
      const std::span<double> l(c.logits.data(), static_cast<std::size_t>(k_v));
      const double lse =
          categorical_logits(std::span<const double>(c.delta).subspan(
                                 static_cast<std::size_t>(s), static_cast<std::size_t>(k_v)),
                             x[v], inverse_step, l);
      // Inverse CDF; u > 0, so a state of probability 0 is never chosen.
      double cumulative = 0.0;
      const double target = u;
      for (std::int32_t k = 0; k < k_v; ++k) {
        const double p = std::exp(l[static_cast<std::size_t>(k)] - lse);
        if (p == 0.0) continue;
        cumulative += p;
        next = k;
        if (cumulative >= target) break;
      }
    }
    if (next != x[v]) c.changes.emplace_back(v, x[v]);
    x[v] = next;
  }
  if (c.changes.empty()) return true;

  auto reject = [&] {
    for (const auto& [v, old] : c.changes) x[v] = old;
    return false;
  };
  // Each move is possible on its own, but together they may violate a hard constraint: such a
  // proposal is rejected by DULA too. (The fast path has no hard zeros.)
  double difference = 0.0;
  if (!scores_.fast()) {
    difference = (*c.local)(x, c.changes);
    if (!(difference > kNegInf)) return reject();
  }
  if (!params_.metropolis) {  // DULA: accept; the scores at x' are the next forward scores
    scores_.compute_all(x, c.field, c.delta, c.scratch);
    c.x.assign(x.begin(), x.end());
    return true;
  }
  scores_.compute_all(x, c.field_next, c.delta_next, c.scratch);
  if (scores_.fast()) {
    double sum = 0.0;  // f = bᵀx + ½xᵀWx: f(x') − f(x) = ½ Σ d_v (L_v(x) + L_v(x'))
    for (const auto& [v, old] : c.changes)
      sum += (x[v] - old) *
             (c.field[static_cast<std::size_t>(v)] + c.field_next[static_cast<std::size_t>(v)]);
    difference = 0.5 * sum;
  }
  const double forward = log_proposal(c.x, x, c.delta, c.logits);
  const double reverse =
      log_proposal(x, c.x, params_.wrong_reverse_for_testing ? c.delta : c.delta_next, c.logits);
  const double log_ratio = difference + reverse - forward;
  const bool accepted =
      log_ratio >= 0.0 || uniform(2 * ((free.size() + 1) / 2)) <= std::exp(log_ratio);
  if (!accepted) return reject();
  std::swap(c.field, c.field_next);
  std::swap(c.delta, c.delta_next);
  c.x.assign(x.begin(), x.end());
  return true;
}

SweepStats DlpSampler::sweep(Chains& chains, std::int64_t sweep) {
  check_chain_shape(chains, *model_, name());
  const std::int32_t num_chains = chains.num_chains();
  prepare(num_chains);
  const auto num_free = static_cast<std::int64_t>(scores_.free_variables().size());
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, num_chains), [&](const auto& range) {
    for (std::int32_t b = range.begin(); b != range.end(); ++b) {
      ChainState& c = chains_[static_cast<std::size_t>(b)];
      SweepStats stats;
      if (num_free > 0) {
        const bool accepted = step(c, chains.chain(b), b, static_cast<std::uint64_t>(sweep));
        stats.proposals = 1;
        stats.accepted = accepted ? 1 : 0;
        stats.changed = accepted ? static_cast<std::int64_t>(c.changes.size()) : 0;
        stats.site_updates = num_free;
        stats.factor_evaluations = step_evaluations_;
      }
      chain_stats_[static_cast<std::size_t>(b)] = stats;
    }
  });
  SweepStats total;
  for (const SweepStats& s : chain_stats_) total += s;
  return total;
}

}  // namespace dgm::inference
