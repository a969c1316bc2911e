#include "inference/pmp/pmp_sampler.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Random123/uniform.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "engine/numeric_range.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "factors/factor_kind.h"
#include "factors/infinity.h"
#include "inference/bp/bp_inference.h"
#include "inference/sampling/work.h"

namespace dgm::inference {
namespace {

// Uniform in the open interval (0, 1) from 64 random bits, so that log(u) and log(1 − u)
// are finite.
inline double open_uniform(std::uint32_t hi, std::uint32_t lo) {
  return r123::u01fixedpt<double>((static_cast<std::uint64_t>(hi) << 32) | lo);
}

// Standard Gumbel(0, 1): −log(−log u).
inline double gumbel(double u) { return -std::log(-std::log(u)); }
// Standard Logistic(0, 1), the difference of two independent Gumbels: log(u / (1 − u)).
inline double logistic(double u) { return std::log(u) - std::log1p(-u); }

// The unscaled noise on state k of a variable with `cardinality` states, from the Philox
// draw `words` it reads: a binary variable's Logistic(0, 1) on state 1 from words 0–1 of the
// draw at its first state; a Gumbel(0, 1) per state of a K-state variable, two per draw, state
// k from words (2(k mod 2), 2(k mod 2) + 1) of the draw at its state ⌊k/2⌋.
inline double noise_of_draw(const std::uint32_t* words, std::int32_t cardinality, std::int32_t k) {
  if (cardinality == 2) return logistic(open_uniform(words[0], words[1]));
  const std::int32_t w = 2 * (k & 1);
  return gumbel(open_uniform(words[w], words[w + 1]));
}

// The index of the draw state k of a variable whose states start at `first_state`
// (Graph::state_offset) reads, within its chain's sweep.
inline std::int64_t draw_index(std::int64_t first_state, std::int32_t cardinality, std::int32_t k) {
  return cardinality == 2 ? first_state : first_state + k / 2;
}

// The same noise drawn alone, for chain stream `rng` at sweep `sweep`.
inline double standard_noise(const engine::CounterRng& rng, std::int64_t sweep,
                             std::int64_t first_state, std::int32_t cardinality, std::int32_t k) {
  const auto r = rng.bits(
      engine::sweep_counter(static_cast<std::uint64_t>(sweep),
                            static_cast<std::uint64_t>(draw_index(first_state, cardinality, k))));
  return noise_of_draw(r.data(), cardinality, k);
}

bool has_hard_factors(const engine::CompiledModel& model) {
  for (const factors::FactorBlock& block : model.graph->blocks) {
    if (block.kind == factors::FactorKind::kOr || block.kind == factors::FactorKind::kAnd ||
        block.kind == factors::FactorKind::kEnumeration) {
      return true;
    }
  }
  for (const double v : model.params.values)
    if (v == kNegInf) return true;
  return false;
}

// The perturbations must be resolvable next to the log-potentials: at magnitude M a double
// resolves steps of M·2^-52, so Gumbel noise of scale σ is quantised to steps of
// σ·2^-10 ≈ σ/1000 or finer only while M ≤ σ·2^42 (≈ 4.4e12 σ). Beyond, the perturbed MAP
// ties more and more often and max-product decodes ties arbitrarily: on a frustrated triangle
// with J = −1e15 one sample in 13 was the least likely state, with J = −3e306 every one.
// (engine::kMaxLogPotentialScale bounds every backend; this is PMP's own, tighter range.)
void check_noise_resolution(const engine::CompiledModel& model, double noise_scale) {
  if (noise_scale == 0.0) return;  // plain max-product: no noise to lose
  const double limit = std::ldexp(noise_scale, 42);
  const engine::LogPotentialScale scale =
      engine::log_potential_scale(*model.graph, model.params.values);
  if (scale.total <= limit) return;
  std::ostringstream s;
  s.precision(3);
  s << "pmp: the factors' largest |log-potential| values add up to " << scale.total;
  if (scale.largest_block >= 0)
    s << " (factor group '" << model.graph->blocks[scale.largest_block].name << "' alone "
      << scale.largest_block_total << ")";
  s << "; Gumbel perturbations of scale " << noise_scale
    << " are not resolved next to them in double precision (PMP's range is " << limit
    << " = noise_scale · 2^42), so the samples would be ties of the unperturbed MAP; rescale "
       "the parameters, or raise pmp { noise_scale } with them (a temperature)";
  throw Error(s.str(), error_details(ErrorCode::kUnsupported));
}

}  // namespace

PmpSampler::PmpSampler(const engine::CompiledModel& model, const PmpParams& params,
                       std::uint64_t seed)
    : model_(model),
      params_(params),
      seed_(seed),
      message_graph_(bp::build_message_graph(model, params.bp.generic_only)),
      has_hard_factors_(has_hard_factors(model)),
      perturbed_(pmp_perturbed_variables(model, params.noise_groups)) {
  bp::validate(params_.bp);
  const engine::Graph& graph = *model.graph;
  iteration_messages_ = bp_messages_per_iteration(graph);
  for (const std::int32_t v : graph.factor_vars) iteration_evaluations_ += 2 * graph.cardinality[v];
  if (!(params_.noise_scale >= 0.0) || std::isinf(params_.noise_scale)) {
    throw Error("PMP noise_scale must be finite and ≥ 0 (got " +
                std::to_string(params_.noise_scale) + ")");
  }
  if (params_.bp.schedule == bp::Schedule::kResidual) {
    throw Error(
        "PMP runs its samples as a batch of independent max-product problems; the residual "
        "schedule orders one problem's updates, so use flooding or sequential");
  }
  if (model.graph->state_offset.back() >= (std::int64_t{1} << 32)) {
    throw Error("the model has more than 2^32 variable states, too many for PMP's noise counters");
  }
  check_noise_resolution(model, params_.noise_scale);
}

// Fresh noise on every perturbed variable's unary in every lane (every free variable, or
// those of PmpParams::noise_groups). A binary variable gets one
// Logistic(0, 1) on the log-odds (the difference of its two states' Gumbels), in either
// message representation, so the ratio fast path and the full-vector path draw the same
// samples; a variable with K > 2 states gets K Gumbel(0, 1), two per Philox draw. Draws are
// keyed by (chain, sweep, Graph::state_offset[v] + j): a chain's samples do not depend on the
// other chains or on the threads.
void PmpSampler::perturb(std::int64_t sweep) {
  const bp::MessageGraph& g = *message_graph_;
  const engine::Graph& graph = *g.graph;
  const std::int32_t lanes = bp_->lanes();
  bp_->reset_unary();
  const std::span<double> unary = bp_->lane_unary();
  const bool ratio = g.mode == bp::MessageMode::kBinaryRatio;
  const double scale = params_.noise_scale;
  std::vector<engine::CounterRng> rngs;
  rngs.reserve(lanes);
  for (std::int32_t b = 0; b < lanes; ++b) {
    rngs.emplace_back(seed_, engine::stream_id(engine::StreamPurpose::kSweep, b));
  }
  tbb::parallel_for(
      tbb::blocked_range<std::int32_t>(0, graph.num_variables(), 256),
      [&](const tbb::blocked_range<std::int32_t>& range) {
        // Every draw the range's states read lies in [state_offset[first], state_offset[end]):
        // a lane's are made at once on the vector unit (engine/philox_batch.h; the same words
        // as rng.bits), the few unused ones (a binary variable's second state) included.
        const std::int64_t base = graph.state_offset[range.begin()];
        const std::int64_t count = graph.state_offset[range.end()] - base;
        std::vector<std::uint32_t> words(static_cast<std::size_t>(4 * count));
        for (std::int32_t b = 0; b < lanes; ++b) {
          engine::philox_words(rngs[b],
                               engine::sweep_counter(static_cast<std::uint64_t>(sweep),
                                                     static_cast<std::uint64_t>(base)),
                               count, words.data());
          for (std::int32_t v = range.begin(); v < range.end(); ++v) {
            if (!perturbed_[static_cast<std::size_t>(v)]) continue;
            const std::int32_t k_count = graph.cardinality[v];
            const std::int64_t first = graph.state_offset[v];
            if (k_count == 2) {
              // The log-ratio in ratio mode, state 1's entry in full mode.
              const std::int64_t entry = ratio ? g.var_offset[v] : g.var_offset[v] + 1;
              unary[entry * lanes + b] +=
                  scale * noise_of_draw(words.data() + 4 * (first - base), 2, 1);
              continue;
            }
            for (std::int32_t k = 0; k < k_count; ++k) {
              const std::uint32_t* draw = words.data() + 4 * (draw_index(first, k_count, k) - base);
              unary[(g.var_offset[v] + k) * lanes + b] += scale * noise_of_draw(draw, k_count, k);
            }
          }
        }
      });
}

std::vector<std::uint8_t> pmp_perturbed_variables(const engine::CompiledModel& model,
                                                  std::span<const std::string> noise_groups) {
  const engine::Graph& graph = *model.graph;
  std::vector<std::uint8_t> perturbed(static_cast<std::size_t>(graph.num_variables()),
                                      noise_groups.empty() ? 1 : 0);
  for (const std::string& name : noise_groups) {
    const auto group =
        std::find_if(graph.groups.begin(), graph.groups.end(),
                     [&](const engine::VariableGroupInfo& g) { return g.name == name; });
    if (group == graph.groups.end()) {
      std::string known;
      for (const engine::VariableGroupInfo& g : graph.groups)
        known += (known.empty() ? "" : ", ") + g.name;
      throw Error("pmp { noise_groups }: the model has no variable group '" + name +
                      "' (its groups: " + known + ")",
                  error_details(ErrorCode::kUnknownName, name));
    }
    std::fill_n(perturbed.begin() + group->first, group->size, 1);
  }
  if (!model.evidence.empty())
    for (std::int32_t v = 0; v < graph.num_variables(); ++v)
      if (model.evidence[v] != engine::kFree) perturbed[static_cast<std::size_t>(v)] = 0;
  return perturbed;
}

std::vector<double> pmp_unary_noise(const engine::CompiledModel& model, std::uint64_t seed,
                                    double noise_scale, std::int32_t chain, std::int64_t sweep,
                                    std::span<const std::string> noise_groups) {
  const engine::Graph& graph = *model.graph;
  std::vector<double> noise(static_cast<std::size_t>(graph.state_offset.back()), 0.0);
  const engine::CounterRng rng(seed, engine::stream_id(engine::StreamPurpose::kSweep, chain));
  const std::vector<std::uint8_t> perturbed = pmp_perturbed_variables(model, noise_groups);
  for (std::int32_t v = 0; v < graph.num_variables(); ++v) {
    if (!perturbed[static_cast<std::size_t>(v)]) continue;
    const std::int32_t k_count = graph.cardinality[v];
    for (std::int32_t k = k_count == 2 ? 1 : 0; k < k_count; ++k) {
      noise[graph.state_offset[v] + k] =
          noise_scale * standard_noise(rng, sweep, graph.state_offset[v], k_count, k);
    }
  }
  return noise;
}

SweepStats PmpSampler::sweep(Chains& chains, std::int64_t sweep) {
  const std::int32_t lanes = chains.num_chains();
  if (!bp_ || bp_->lanes() != lanes) {
    bp_ = std::make_unique<bp::BeliefPropagation>(message_graph_, lanes);
  }
  perturb(sweep);
  bp_->reset_messages();
  const bp::BpStatus status = bp_->run(params_.bp);
  if (status.contradiction_variable >= 0) {
    // BP's −inf entries come only from the hard factors and the evidence (the noise is
    // finite), and each marks a state that no state of positive probability has: there is
    // nothing to sample, as exact inference, BP and Gibbs also say.
    throw Error(
        "PMP: variable " + model_.graph->variable_name(status.contradiction_variable) +
        " has no possible state: the evidence contradicts the hard constraints (max-product "
        "rules out every state of that variable), so the model has no state of positive "
        "probability to sample");
  }
  ++runs_;
  runs_converged_ += status.converged;

  const bp::MessageGraph& g = *message_graph_;
  const bool ratio = g.mode == bp::MessageMode::kBinaryRatio;
  const std::int32_t n = g.num_variables();
  const std::span<const double> unary = bp_->lane_unary();
  std::vector<std::int64_t> changed(lanes, 0);
  std::vector<double> energy(lanes, 0.0);
  std::int64_t free_variables = 0, free_categorical = 0;
  for (std::int32_t v = 0; v < n; ++v) {
    const bool free = model_.evidence.empty() || model_.evidence[v] == engine::kFree;
    free_variables += free;
    free_categorical += perturbed_[static_cast<std::size_t>(v)] && g.graph->cardinality[v] > 2;
  }
  // Decode every lane. A decoding is valid when BP left every variable a possible state and it
  // satisfies the hard factors and the evidence; the others are repaired when possible and
  // otherwise counted invalid (their energy −inf below), never passed off as samples.
  std::vector<std::uint8_t> valid(lanes, 1);
  const std::vector<std::int32_t> previous(chains.states().begin(), chains.states().end());
  tbb::parallel_for(0, lanes, [&](std::int32_t b) {
    const std::span<std::int32_t> x = chains.chain(b);
    const std::int32_t undecided = bp_->decode(b, x);
    valid[b] = undecided == 0 && is_valid(x);
  });
  std::int64_t repaired = 0;
  for (std::int32_t b = 0; b < lanes; ++b) {
    if (valid[b] || !params_.repair) continue;
    valid[b] = repair(b, chains.chain(b));
    repaired += valid[b];
  }
  repaired_ += repaired;
  tbb::parallel_for(0, lanes, [&](std::int32_t b) {
    const std::span<const std::int32_t> x = chains.chain(b);
    double noise = 0.0;
    for (std::int32_t v = 0; v < n; ++v) {
      changed[b] += x[v] != previous[static_cast<std::size_t>(b) * n + v];
      // The noise of the chosen state: perturbed unary minus the model's unary.
      const std::int64_t i = ratio ? g.var_offset[v] : g.var_offset[v] + x[v];
      if (g.graph->cardinality[v] == 2 && x[v] == 0) continue;  // state 0 carries none
      const double base = g.unary[i];
      if (std::isinf(base)) continue;  // clamped: no noise
      noise += unary[i * lanes + b] - base;
    }
    energy[b] = valid[b] ? engine::total_log_potential(model_, x) + noise : kNegInf;
  });

  SweepStats stats;
  stats.site_updates = free_variables * lanes;
  stats.messages = iteration_messages_ * status.iterations * lanes;
  stats.factor_evaluations = iteration_evaluations_ * status.iterations * lanes;
  // Hazan & Jaakkola's bound uses zero-mean Gumbels: subtract Euler's γ per perturbed
  // categorical variable (standard Gumbels). A binary variable's Logistic is γ(1) − γ(0) and needs
  // no correction: E[max f + Σ γ_v(x_v)] = E[max f + Σ x_v·L_v] + Σ_v E[γ_v(0)], E[γ_v(0)] = γ.
  const double shift = std::numbers::egamma * static_cast<double>(free_categorical);
  for (std::int32_t b = 0; b < lanes; ++b) {
    stats.changed += changed[b];
    if (energy[b] == kNegInf) {
      ++stats.invalid;
      continue;
    }
    const double value = energy[b] - shift;
    ++samples_;
    const double delta = value - energy_mean_;
    energy_mean_ += delta / static_cast<double>(samples_);
    energy_m2_ += delta * (value - energy_mean_);
  }
  return stats;
}

bool PmpSampler::is_valid(std::span<const std::int32_t> x) const {
  if (bp::first_evidence_violation(model_, x) >= 0) return false;
  return !has_hard_factors_ || bp::first_violated_factor(model_, x) < 0;
}

// Decimation on the violated factors' variables (bp::repair_by_decimation), on a copy of this
// lane, for at most min(N, 32) rounds: each round is a whole max-product run on one lane, and
// a decoding that needs more is counted as invalid rather than making one sample arbitrarily
// expensive.
bool PmpSampler::repair(std::int32_t lane, std::span<std::int32_t> x) {
  const engine::Graph& graph = *model_.graph;
  if (!repair_bp_) repair_bp_ = std::make_unique<bp::BeliefPropagation>(message_graph_, 1);
  repair_bp_->copy_lane(*bp_, lane);
  std::vector<std::uint8_t> fixed(graph.num_variables(), 0);
  for (std::int32_t v = 0; v < graph.num_variables(); ++v) {
    fixed[v] = !model_.evidence.empty() && model_.evidence[v] != engine::kFree;
  }
  const std::int32_t max_rounds = std::min<std::int32_t>(graph.num_variables(), 32);
  bp::repair_by_decimation(model_, *repair_bp_, params_.bp, fixed, x, max_rounds);
  return is_valid(x);  // the hard factors and the evidence, whatever decimation reported
}

void PmpSampler::refresh_parameters() {
  check_noise_resolution(model_, params_.noise_scale);
  message_graph_ = bp::build_message_graph(model_, params_.bp.generic_only);
  has_hard_factors_ = has_hard_factors(model_);
  bp_.reset();
  repair_bp_.reset();
}

void PmpSampler::save_state(SamplerStateWriter& out) const {
  out.put(std::vector<std::int64_t>{samples_, repaired_, runs_converged_, runs_});
  out.put(std::vector<double>{energy_mean_, energy_m2_});
}

void PmpSampler::restore_state(SamplerStateReader& in, const Chains& /*chains*/) {
  const std::vector<std::int64_t> counts = in.get<std::int64_t>(4);
  const std::vector<double> moments = in.get<double>(2);
  samples_ = counts[0];
  repaired_ = counts[1];
  runs_converged_ = counts[2];
  runs_ = counts[3];
  energy_mean_ = moments[0];
  energy_m2_ = moments[1];
}

std::vector<SamplerFigure> PmpSampler::figures() const {
  std::vector<SamplerFigure> out;
  // The bound needs noise on every variable: with noise_groups, the mean perturbed-MAP energy
  // bounds log Σ_{perturbed} max_{rest} e^f instead, which can lie below log Z; not reported.
  if (params_.noise_scale == 1.0 && params_.noise_groups.empty() && samples_ > 0) {
    SamplerFigure bound;
    bound.name = "log_z_upper_bound";
    bound.value = energy_mean_;
    if (samples_ > 1) {
      bound.standard_error =
          std::sqrt(energy_m2_ / static_cast<double>(samples_ - 1) / static_cast<double>(samples_));
    }
    bound.description =
        "mean perturbed-MAP energy f(x) + Σ γ(x) (Hazan & Jaakkola 2012): an upper bound on "
        "log Z when max-product finds the perturbed MAP";
    out.push_back(bound);
  }
  if (has_hard_factors_) {
    SamplerFigure repaired;
    repaired.name = "repaired_samples";
    repaired.value = static_cast<double>(repaired_);
    repaired.description =
        "decodings that broke a hard constraint and were made valid by decimation";
    out.push_back(repaired);
  }
  if (params_.bp.tolerance > 0.0 && runs_ > 0) {
    SamplerFigure converged;
    converged.name = "bp_converged_fraction";
    converged.value = static_cast<double>(runs_converged_) / static_cast<double>(runs_);
    converged.description = "batches whose max-product run met the tolerance";
    out.push_back(converged);
  }
  return out;
}

}  // namespace dgm::inference
