#pragma once
// Comparing samplers on one model under one budget (`dgm compare`; the metrics are those of
// the DISCS benchmark suite, Goshvadi et al. 2023, and of the GWG and DLP papers' RBM
// benchmarks, Grathwohl et al. 2021 and Zhang et al. 2022).
//
// Fairness: every sampler starts from the same states (uniform draws, evidence clamped; chains
// of probability zero replaced by the MAP state where exact inference is affordable), with
// the same seed, the same number of chains and the same budget — seconds of sampling, work in
// factor evaluations (inference/sampling/work.h) or sweeps, whichever ends first. The time
// spent measuring (energies, MMD) is not charged to the sampler: the clock a budget reads is
// the sampler's own.
//
// What is recorded for each sampler:
//   * at `points` moments spread evenly over the budget (and at the start): sweeps, seconds,
//     work (factor evaluations, messages, flops, site updates), the MMD² of the chains' current
//     states against the reference (Hamming kernel exp(−Hamming/D); biased and unbiased), and
//     the chains' mean energy (unnormalised log-probability);
//   * the energy of every chain every few sweeps (as often as its cost, one evaluation of every
//     factor per chain, stays within the sampler's own work between entries; thinned by 2
//     whenever the trace would exceed kTraceCap values per chain) and each variable group's
//     mean state: over the second half
//     of the run (the first is warm-up), their ESS (Geyer's initial monotone sequence) and
//     split-R̂; ESS per second, per sweep and per full-model energy evaluation (factor
//     evaluations / number of factors), the three normalisations of DISCS;
//   * acceptance rate and variables changed per proposal (Metropolis–Hastings samplers);
//   * with exact marginals affordable: the total-variation error of single-site marginals
//     estimated from the second half of the run;
//   * the chains' final states.
// Ranking: by the final MMD² (the mean over the points of the last quarter of the budget, which
// averages out the noise of one set of chains) when there is a reference, else by energy ESS
// per second. A final MMD² several times the floor means the sampler has not reached the
// target within the budget — or never will, for approximate samplers (PMP, DULA).
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "dgm/compare.pb.h"
#include "engine/compiled_model.h"
#include "inference/comparison/reference_samples.h"
#include "inference/metrics/marginal_error.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct ComparePoint {
  double budget_fraction = 0.0;  // of the sampler's budget used (0 at the start)
  std::int64_t sweeps = 0;
  double seconds = 0.0;  // of sampling
  SweepStats work;       // totals so far
  double mmd2_biased = kNaN, mmd2_unbiased = kNaN;
  double mean_energy = kNaN;
};

struct GroupMixing {
  std::string group;
  double ess = kNaN, rhat = kNaN;
};

struct SamplerComparison {
  std::string label, sampler;
  std::vector<ComparePoint> points;
  std::int64_t sweeps = 0;
  double seconds = 0.0;
  SweepStats totals;
  bool has_acceptance = false;
  double acceptance = kNaN;        // accepted / proposals
  double changed_per_step = kNaN;  // variables changed per proposal (per sweep without MH)
  double energy_ess = kNaN, energy_tau = kNaN, energy_rhat = kNaN;
  bool energy_constant = false;
  std::int64_t trace_length = 0;  // energy values per chain the ESS was computed from
  std::int64_t trace_stride = 1;  // sweeps between them
  double ess_per_second = kNaN, ess_per_sweep = kNaN, ess_per_energy_evaluation = kNaN;
  std::vector<GroupMixing> groups;
  double final_mmd2 = kNaN;  // mean biased MMD² over the last quarter's points
  bool has_marginal_error = false;
  MarginalError marginal_error;
  std::vector<std::int32_t> final_states;  // chains × N
  bool below_min_ess = false;
  std::vector<std::string> notes;  // things worth telling (chains replaced, invalid samples)
};

struct ComparisonResult {
  ReferenceSamples reference;  // rows kept (the plots show none of them; callers may)
  bool has_reference = false;
  // The expected MMD² of an i.i.d. set of `chains` rows against the reference, from all floor
  // rows pooled; the unbiased one is the U-statistic against the pooled rows (≈ 0).
  double floor_mmd2_biased = kNaN, floor_mmd2_unbiased = kNaN;
  // The spread of single floor sets' biased MMD²: how far one i.i.d. set of `chains` rows
  // can land from the floor on this model.
  double floor_mmd2_min = kNaN, floor_mmd2_max = kNaN;
  std::int32_t chains = 0;
  std::uint64_t seed = 0;
  double budget_seconds = -1.0, budget_work = -1.0;
  std::int64_t budget_sweeps = -1;
  double min_ess = 100.0;
  std::vector<SamplerComparison> samplers;  // in the order given
  std::vector<std::int32_t> ranking;        // indices into samplers, best first
  std::string ranked_by;                    // "final_mmd2" or "energy_ess_per_second"
  bool interrupted = false;
};

struct CompareCallbacks {
  // Called before each sampler runs (index, label) and after it finished.
  std::function<void(std::size_t, const std::string&)> on_start;
  std::function<void(std::size_t, const SamplerComparison&)> on_finish;
  // Called once the reference is ready.
  std::function<void(const ReferenceSamples&)> on_reference;
  // Polled after every sweep; true stops the comparison (the current sampler's results so far
  // are kept, later samplers are skipped).
  std::function<bool()> stop;
};

// Energy values kept per chain before the trace is thinned by 2.
inline constexpr std::int64_t kTraceCap = 4096;

// Runs the comparison that `config` describes. Throws dgm::Error on bad settings (no sampler,
// duplicate labels, no budget, unknown sampler names, a sampler that cannot run the model).
ComparisonResult compare_samplers(const engine::CompiledModel& model,
                                  const proto::CompareConfig& config,
                                  const CompareCallbacks& callbacks = {});

}  // namespace dgm::inference
