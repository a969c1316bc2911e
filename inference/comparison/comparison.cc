#include "inference/comparison/comparison.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <optional>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "inference/exact/junction_tree.h"
#include "inference/metrics/effective_sample_size.h"
#include "inference/metrics/mmd.h"
#include "inference/metrics/split_rhat.h"
#include "inference/model_views/rbm_parameters.h"
#include "inference/session/session.h"

namespace dgm::inference {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int32_t kDefaultChains = 100;
constexpr std::int32_t kDefaultPoints = 40;
constexpr double kDefaultMinEss = 100.0;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Budgets {
  double seconds = -1.0, work = -1.0;
  std::int64_t sweeps = -1;

  // The fraction of the budget used: the largest of the fractions of the budgets set.
  double fraction(double s, std::int64_t evaluations, std::int64_t n) const {
    double f = 0.0;
    if (seconds > 0) f = std::max(f, s / seconds);
    if (work > 0) f = std::max(f, static_cast<double>(evaluations) / work);
    if (sweeps > 0) f = std::max(f, static_cast<double>(n) / static_cast<double>(sweeps));
    return f;
  }
};

// Energies and group means of every chain at one moment; the cumulative resources then.
struct TraceEntry {
  std::int64_t sweeps = 0;
  double seconds = 0.0;
  std::int64_t factor_evaluations = 0;
};

// Watches one sampler's run: keeps the sampler's own clock (measuring is not charged to it),
// records the points, the energy and group-mean traces and the marginal counts, and stops the
// run when the budget is spent.
class Recorder : public RunObserver {
 public:
  Recorder(const engine::CompiledModel& model, const Budgets& budgets, std::int32_t points,
           const HammingMmdReference* reference, bool count_marginals, std::function<bool()> stop)
      : model_(model),
        graph_(*model.graph),
        budgets_(budgets),
        points_(points),
        reference_(reference),
        count_marginals_(count_marginals),
        stop_(std::move(stop)),
        rbm_(rbm_parameters(model)) {}

  // The chains before the first sweep: the point at budget 0. Starts the sampler's clock.
  void begin(const Chains& chains) {
    chains_ = chains.num_chains();
    energies_.resize(static_cast<std::size_t>(chains_));
    if (count_marginals_) counts_.assign(static_cast<std::size_t>(graph_.state_offset.back()), 0);
    record_point(chains, 0.0);
    resumed_ = Clock::now();
  }

  bool on_sweep(std::int64_t /*sweep*/, const Chains& chains, const SweepStats& stats) override {
    const Clock::time_point paused = Clock::now();
    seconds_ += seconds_between(resumed_, paused);
    totals_ += stats;
    ++sweeps_;
    const double fraction = budgets_.fraction(seconds_, totals_.factor_evaluations, sweeps_);
    if (sweeps_ == 1) choose_stride(stats);
    if (sweeps_ % stride_ == 0) record_trace(chains);
    if (count_marginals_ && fraction >= 0.5) count(chains);
    if (fraction >= next_point_ || fraction >= 1.0) record_point(chains, fraction);
    const bool stop = fraction >= 1.0 || (stop_ && stop_());
    if (stop && points.back().sweeps != sweeps_) record_point(chains, fraction);
    resumed_ = Clock::now();
    interrupted = interrupted || (stop && fraction < 1.0);
    return !stop;
  }

  std::int64_t sweeps() const { return sweeps_; }
  double seconds() const { return seconds_; }
  const SweepStats& totals() const { return totals_; }
  std::int64_t stride() const { return stride_; }
  std::int32_t chains() const { return chains_; }
  const std::vector<TraceEntry>& trace_entries() const { return entries_; }
  // Trace values per entry: chains energies then chains × groups means.
  const std::vector<double>& energy_trace() const { return energy_trace_; }
  const std::vector<double>& group_trace() const { return group_trace_; }
  const std::vector<std::int64_t>& counts() const { return counts_; }
  std::int64_t counted_samples() const { return counted_; }

  std::vector<ComparePoint> points;
  bool interrupted = false;

 private:
  // f(x) of every chain: by two products on RBM-shaped models (model_views/rbm_parameters.h,
  // about 40 times faster than evaluating factor by factor), else factor by factor.
  void compute_energies(const Chains& chains) {
    if (rbm_) {
      energies_ = rbm_log_potentials(*rbm_, chains.states(), chains_);
    } else {
      tbb::parallel_for(0, chains_, [&](std::int32_t b) {
        energies_[static_cast<std::size_t>(b)] =
            engine::total_log_potential(model_, chains.chain(b));
      });
    }
    energies_at_ = sweeps_;
  }

  void record_point(const Chains& chains, double fraction) {
    ComparePoint p;
    p.budget_fraction = fraction;
    p.sweeps = sweeps_;
    p.seconds = seconds_;
    p.work = totals_;
    if (reference_ != nullptr) {
      const Mmd mmd = reference_->against(chains.states(), chains_);
      p.mmd2_biased = mmd.biased;
      p.mmd2_unbiased = mmd.unbiased;
    }
    if (energies_at_ != sweeps_) compute_energies(chains);
    double sum = 0.0;
    std::int64_t finite = 0;
    for (const double e : energies_)
      if (std::isfinite(e)) sum += e, ++finite;
    p.mean_energy = finite > 0 ? sum / static_cast<double>(finite) : kNaN;
    points.push_back(p);
    const double step = 1.0 / points_;
    next_point_ = (std::floor(fraction / step + 1e-9) + 1.0) * step;
  }

  // The energy trace costs one evaluation of every factor per chain and entry. Recording it
  // every `stride` sweeps, with stride the smallest power of 2 that makes the sampler's own
  // work between entries at least that much, keeps the cost of measuring at most about the
  // cost of sampling — decided from work counts, not timings, so that the trace (and every
  // figure computed from it) is the same on any machine and for any number of threads.
  void choose_stride(const SweepStats& first_sweep) {
    const double entry_cost =
        static_cast<double>(graph_.num_factors()) * static_cast<double>(chains_);
    const auto per_sweep =
        static_cast<double>(std::max<std::int64_t>(1, first_sweep.factor_evaluations));
    while (static_cast<double>(stride_) * per_sweep < entry_cost && stride_ < (1 << 20))
      stride_ *= 2;
  }

  void record_trace(const Chains& chains) {
    if (energies_at_ != sweeps_) compute_energies(chains);
    entries_.push_back({sweeps_, seconds_, totals_.factor_evaluations});
    energy_trace_.insert(energy_trace_.end(), energies_.begin(), energies_.end());
    for (std::int32_t b = 0; b < chains_; ++b) {
      const std::span<const std::int32_t> x = chains.chain(b);
      for (const engine::VariableGroupInfo& group : graph_.groups) {
        double sum = 0.0;
        for (std::int32_t i = 0; i < group.size; ++i) sum += x[group.first + i];
        group_trace_.push_back(group.size > 0 ? sum / group.size : 0.0);
      }
    }
    if (static_cast<std::int64_t>(entries_.size()) > kTraceCap) thin_trace();
  }

  // Drops every other trace entry and doubles the stride, keeping the entries on multiples of
  // the new stride so the trace stays evenly spaced.
  void thin_trace() {
    stride_ *= 2;
    const std::size_t groups = graph_.groups.size();
    std::size_t kept = 0;
    for (std::size_t t = 0; t < entries_.size(); ++t) {
      if (entries_[t].sweeps % stride_ != 0) continue;
      entries_[kept] = entries_[t];
      std::copy_n(energy_trace_.begin() + static_cast<std::ptrdiff_t>(t * chains_), chains_,
                  energy_trace_.begin() + static_cast<std::ptrdiff_t>(kept * chains_));
      const std::size_t width = chains_ * groups;
      std::copy_n(group_trace_.begin() + static_cast<std::ptrdiff_t>(t * width), width,
                  group_trace_.begin() + static_cast<std::ptrdiff_t>(kept * width));
      ++kept;
    }
    entries_.resize(kept);
    energy_trace_.resize(kept * chains_);
    group_trace_.resize(kept * chains_ * groups);
  }

  void count(const Chains& chains) {
    const std::span<const std::int32_t> states = chains.states();
    const std::int32_t n = graph_.num_variables();
    for (std::int32_t b = 0; b < chains_; ++b)
      for (std::int32_t v = 0; v < n; ++v)
        ++counts_[static_cast<std::size_t>(graph_.state_offset[v] +
                                           states[static_cast<std::size_t>(b) * n + v])];
    counted_ += chains_;
  }

  const engine::CompiledModel& model_;
  const engine::Graph& graph_;
  Budgets budgets_;
  std::int32_t points_;
  const HammingMmdReference* reference_;
  bool count_marginals_;
  std::function<bool()> stop_;
  std::optional<RbmParameters> rbm_;

  std::int32_t chains_ = 0;
  Clock::time_point resumed_;
  double seconds_ = 0.0;
  SweepStats totals_;
  std::int64_t sweeps_ = 0;
  double next_point_ = 0.0;
  std::vector<double> energies_;
  std::int64_t energies_at_ = -1;
  std::int64_t stride_ = 1;
  std::vector<TraceEntry> entries_;
  std::vector<double> energy_trace_, group_trace_;
  std::vector<std::int64_t> counts_;
  std::int64_t counted_ = 0;
};

// Chain-major series of the entries from `first` on, for chains × (entries − first) values
// taken from a time-major trace of `width` values per entry at offset `column` with `step`.
std::vector<double> chain_major(const std::vector<double>& trace, std::size_t entries,
                                std::size_t first, std::int32_t chains, std::size_t width,
                                std::size_t column, std::size_t step) {
  const std::size_t length = entries - first;
  std::vector<double> out(static_cast<std::size_t>(chains) * length);
  for (std::size_t t = first; t < entries; ++t)
    for (std::int32_t c = 0; c < chains; ++c)
      out[static_cast<std::size_t>(c) * length + (t - first)] =
          trace[t * width + static_cast<std::size_t>(c) * step + column];
  return out;
}

bool all_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

void summarise(const Recorder& rec, const engine::Graph& graph, double min_ess,
               SamplerComparison& out) {
  out.sweeps = rec.sweeps();
  out.seconds = rec.seconds();
  out.totals = rec.totals();
  const SweepStats& t = out.totals;
  if (out.has_acceptance && t.proposals > 0) {
    out.acceptance = static_cast<double>(t.accepted) / static_cast<double>(t.proposals);
    out.changed_per_step = static_cast<double>(t.changed) / static_cast<double>(t.proposals);
  } else if (out.sweeps > 0 && rec.chains() > 0) {
    out.changed_per_step = static_cast<double>(t.changed) /
                           (static_cast<double>(out.sweeps) * static_cast<double>(rec.chains()));
  }
  // The final MMD²: the mean over the points of the last quarter of the budget.
  double sum = 0.0;
  int count = 0;
  const double last = out.points.empty() ? 0.0 : out.points.back().budget_fraction;
  for (const ComparePoint& p : out.points)
    if (p.budget_fraction > 0 && p.budget_fraction >= 0.75 * last && std::isfinite(p.mmd2_biased))
      sum += p.mmd2_biased, ++count;
  if (count > 0) out.final_mmd2 = sum / count;

  // Mixing over the second half of the trace (the first half is warm-up).
  const std::vector<TraceEntry>& entries = rec.trace_entries();
  const std::size_t n = entries.size();
  const std::size_t first = n / 2;
  out.trace_stride = rec.stride();
  out.trace_length = static_cast<std::int64_t>(n - first);
  if (n - first < 4) {
    out.notes.push_back("too few sweeps for ESS and R-hat (" + std::to_string(n - first) +
                        " trace values per chain in the second half)");
    return;
  }
  const std::int32_t chains = rec.chains();
  const std::vector<double> energy =
      chain_major(rec.energy_trace(), n, first, chains, static_cast<std::size_t>(chains), 0, 1);
  const auto length = static_cast<std::int64_t>(n - first);
  if (!all_finite(energy)) {
    out.notes.push_back("some chains are in states of probability zero: no energy ESS");
  } else {
    const EffectiveSampleSize ess = geyer_ess(energy, chains, length);
    out.energy_ess = ess.ess;
    out.energy_tau = ess.tau_int;
    out.energy_constant = ess.constant;
    out.energy_rhat = split_rhat(energy, chains, length);
    // Resources of the second half, the samples the ESS is of.
    const TraceEntry& from = entries[first == 0 ? 0 : first - 1];
    const double seconds = out.seconds - from.seconds;
    const auto sweeps = static_cast<double>(out.sweeps - from.sweeps);
    const auto evaluations = static_cast<double>(t.factor_evaluations - from.factor_evaluations);
    if (seconds > 0) out.ess_per_second = ess.ess / seconds;
    if (sweeps > 0) out.ess_per_sweep = ess.ess / sweeps;
    if (graph.num_factors() > 0 && evaluations > 0)
      out.ess_per_energy_evaluation =
          ess.ess / (evaluations / static_cast<double>(graph.num_factors()));
    out.below_min_ess = ess.ess < min_ess;
  }
  const std::size_t groups = graph.groups.size();
  for (std::size_t gi = 0; gi < groups; ++gi) {
    const std::vector<double> series = chain_major(
        rec.group_trace(), n, first, chains, static_cast<std::size_t>(chains) * groups, gi, groups);
    GroupMixing m;
    m.group = graph.groups[gi].name;
    const EffectiveSampleSize ess = geyer_ess(series, chains, length);
    m.ess = ess.ess;
    m.rhat = split_rhat(series, chains, length);
    out.groups.push_back(m);
  }
}

Budgets budgets_of(const proto::CompareConfig& config) {
  Budgets b;
  if (config.budget_seconds() < 0 || config.budget_work() < 0 || config.budget_sweeps() < 0 ||
      std::isnan(config.budget_seconds()) || std::isnan(config.budget_work()))
    throw Error("compare: budgets must be positive (got seconds " +
                std::to_string(config.budget_seconds()) + ", work " +
                std::to_string(config.budget_work()) + ", sweeps " +
                std::to_string(config.budget_sweeps()) + ")");
  if (std::isinf(config.budget_seconds()) || std::isinf(config.budget_work()))
    throw Error("compare: budgets must be finite");
  if (config.budget_seconds() > 0) b.seconds = config.budget_seconds();
  if (config.budget_work() > 0) b.work = config.budget_work();
  if (config.budget_sweeps() > 0) b.sweeps = config.budget_sweeps();
  if (b.seconds < 0 && b.work < 0 && b.sweeps < 0)
    throw Error("compare: give a budget: seconds, work (factor evaluations) or sweeps per sampler");
  return b;
}

// The mean of exp(−Hamming(x, y)/N) over the distinct pairs of `rows` (chunked by row, the
// chunks added in order, so the value does not depend on the number of threads).
double mean_pair_kernel(std::span<const std::int32_t> states, std::int64_t rows, std::int32_t n) {
  if (rows < 2) return 1.0;
  std::vector<double> kernel(static_cast<std::size_t>(n) + 1);
  for (std::int32_t d = 0; d <= n; ++d)
    kernel[static_cast<std::size_t>(d)] = std::exp(-double(d) / n);
  std::vector<double> row_sums(static_cast<std::size_t>(rows), 0.0);
  tbb::parallel_for(std::int64_t{0}, rows, [&](std::int64_t i) {
    const std::int32_t* a = states.data() + i * n;
    double sum = 0.0;
    for (std::int64_t j = i + 1; j < rows; ++j) {
      const std::int32_t* b = states.data() + j * n;
      std::int32_t d = 0;
      for (std::int32_t v = 0; v < n; ++v) d += a[v] != b[v];
      sum += kernel[static_cast<std::size_t>(d)];
    }
    row_sums[static_cast<std::size_t>(i)] = sum;
  });
  double total = 0.0;
  for (const double s : row_sums) total += s;
  return total / (0.5 * static_cast<double>(rows) * static_cast<double>(rows - 1));
}

// The common starting states: uniform (seeded), chains of probability zero replaced as a
// Gibbs session would (by the MAP state where affordable).
std::vector<std::int32_t> common_starts(const engine::CompiledModel& model, std::int32_t chains,
                                        std::uint64_t seed, std::vector<std::string>& notes) {
  SessionOptions options;
  options.sampler = "gibbs";
  options.chains = chains;
  options.seed = seed;
  Session probe(model, options);
  notes = probe.notes();
  return {probe.chains().states().begin(), probe.chains().states().end()};
}

}  // namespace

ComparisonResult compare_samplers(const engine::CompiledModel& model,
                                  const proto::CompareConfig& config,
                                  const CompareCallbacks& callbacks) {
  if (config.samplers().empty()) throw Error("compare: no samplers to compare");
  const Budgets budgets = budgets_of(config);
  if (config.chains() < 0) throw Error("compare: chains must be ≥ 1");
  if (config.points() < 0 || config.points() > 100000)
    throw Error("compare: points must be between 1 and 100000 (0: the default " +
                std::to_string(kDefaultPoints) + ")");
  if (config.min_ess() < 0 || std::isnan(config.min_ess()))
    throw Error("compare: min_ess must be ≥ 0");

  ComparisonResult result;
  result.chains = config.chains() > 0 ? config.chains() : kDefaultChains;
  result.seed = config.seed();
  result.budget_seconds = budgets.seconds;
  result.budget_work = budgets.work;
  result.budget_sweeps = budgets.sweeps;
  result.min_ess = config.min_ess() > 0 ? config.min_ess() : kDefaultMinEss;
  const std::int32_t points = config.points() > 0 ? config.points() : kDefaultPoints;
  const int threads = config.threads();

  // Every sampler's session first, so that a bad name or setting fails before anything runs.
  std::vector<std::string> start_notes;
  const std::vector<std::int32_t> starts =
      common_starts(model, result.chains, config.seed(), start_notes);
  std::vector<Session> sessions;
  std::map<std::string, int> labels;
  for (const proto::CompareSampler& entry : config.samplers()) {
    SamplerComparison s;
    s.sampler = resolve_sampler_name(entry.sampler(), entry.config());
    s.label = entry.label().empty() ? s.sampler : entry.label();
    if (labels[s.label]++ > 0)
      throw Error("compare: two samplers are labelled '" + s.label +
                  "'; give each run of the same sampler its own label");
    SessionOptions options;
    options.sampler = s.sampler;
    options.config = entry.config();
    options.chains = result.chains;
    options.seed = config.seed();
    options.threads = threads;
    options.start = StartPolicy::kRows;
    options.start_rows = starts;
    options.num_start_rows = result.chains;
    options.start_source = "the common starting states";
    try {
      sessions.emplace_back(model, options);
    } catch (const Error& e) {
      throw Error("compare: " + s.label + ": " + e.what());
    }
    s.has_acceptance = sessions.back().sampler().has_acceptance();
    // Replaced starts matter only to samplers that move from state to state.
    if (sessions.back().sampler().needs_valid_start()) s.notes = start_notes;
    result.samplers.push_back(std::move(s));
  }

  result.reference =
      make_reference(model, config.reference(), {result.chains, 0}, config.seed(), threads);
  result.has_reference = result.reference.num_rows > 0;
  std::unique_ptr<HammingMmdReference> mmd;
  if (result.has_reference) {
    mmd = std::make_unique<HammingMmdReference>(result.reference.rows, result.reference.num_rows,
                                                model.graph->num_variables());
    const ReferenceSamples& ref = result.reference;
    if (ref.num_floor_rows > 0) {
      const std::int64_t sets = ref.num_floor_rows / ref.floor_set_rows;
      const auto width =
          static_cast<std::size_t>(ref.floor_set_rows * model.graph->num_variables());
      result.floor_mmd2_min = std::numeric_limits<double>::infinity();
      result.floor_mmd2_max = 0.0;
      for (std::int64_t k = 0; k < sets; ++k) {
        const Mmd floor = mmd->against(
            std::span(ref.floor_rows).subspan(static_cast<std::size_t>(k) * width, width),
            ref.floor_set_rows);
        result.floor_mmd2_min = std::min(result.floor_mmd2_min, floor.biased);
        result.floor_mmd2_max = std::max(result.floor_mmd2_max, floor.biased);
      }
      // The floor for a set of `chains` rows from all floor rows pooled (far less noisy than
      // the mean over the sets): with F the pooled rows and K̄ their mean kernel between
      // distinct rows, E[MMD²_V(ref, B)] for an i.i.d. set B of n rows is
      //   MMD²_V(ref, F) + (1/n − 1/|F|)(1 − K̄),
      // since the V-statistic's self term of a set of n rows is 1/n + (1 − 1/n)·E k(y, y').
      const auto pooled = static_cast<double>(ref.num_floor_rows);
      const Mmd all = mmd->against(ref.floor_rows, ref.num_floor_rows);
      const double kbar =
          mean_pair_kernel(ref.floor_rows, ref.num_floor_rows, model.graph->num_variables());
      result.floor_mmd2_biased =
          all.biased +
          (1.0 / static_cast<double>(ref.floor_set_rows) - 1.0 / pooled) * (1.0 - kbar);
      result.floor_mmd2_unbiased = all.unbiased;
    }
  }
  if (callbacks.on_reference) callbacks.on_reference(result.reference);

  // Exact single-site marginals, where affordable.
  std::vector<double> exact;
  try {
    ExactOptions options;
    options.log_z = false;
    options.map = false;
    exact = exact_inference(model, options).marginals;
  } catch (const Error&) {
    exact.clear();
  }

  for (std::size_t i = 0; i < sessions.size(); ++i) {
    SamplerComparison& s = result.samplers[i];
    if (callbacks.stop && callbacks.stop()) {
      result.interrupted = true;
      s.notes.push_back("not run: the comparison was interrupted");
      continue;
    }
    if (callbacks.on_start) callbacks.on_start(i, s.label);
    Session& session = sessions[i];
    Recorder recorder(model, budgets, points, mmd.get(), !exact.empty(), callbacks.stop);
    recorder.begin(session.chains());
    RunObserver* observers[] = {&recorder};
    Budget budget;
    // Without a sweep budget, as many as the random streams can index (the others stop it).
    budget.sweeps = budgets.sweeps > 0 ? budgets.sweeps : std::int64_t{1} << 31;
    session.run(budget, observers);
    s.points = recorder.points;
    summarise(recorder, *model.graph, result.min_ess, s);
    if (!exact.empty() && recorder.counted_samples() > 0) {
      std::vector<double> estimate(recorder.counts().size());
      const std::vector<std::int64_t>& counts = recorder.counts();
      const auto per_variable = static_cast<double>(recorder.counted_samples());
      for (std::size_t k = 0; k < counts.size(); ++k)
        estimate[k] = static_cast<double>(counts[k]) / per_variable;
      s.marginal_error = marginal_error(*model.graph, estimate, exact);
      s.has_marginal_error = true;
    }
    if (s.totals.invalid > 0)
      s.notes.push_back(std::to_string(s.totals.invalid) +
                        " samples were in states of probability zero (violated hard constraints)");
    const std::span<const std::int32_t> final_states = session.chains().states();
    s.final_states.assign(final_states.begin(), final_states.end());
    if (recorder.interrupted) result.interrupted = true;
    if (callbacks.on_finish) callbacks.on_finish(i, s);
  }

  // Ranking.
  result.ranking.resize(result.samplers.size());
  std::iota(result.ranking.begin(), result.ranking.end(), 0);
  const auto& all = result.samplers;
  const bool by_mmd = result.has_reference;
  result.ranked_by = by_mmd ? "final_mmd2" : "energy_ess_per_second";
  auto key = [&](std::int32_t i) {
    const SamplerComparison& s = all[static_cast<std::size_t>(i)];
    const double v = by_mmd ? s.final_mmd2 : -s.ess_per_second;
    return std::isnan(v) ? std::numeric_limits<double>::infinity() : v;
  };
  std::stable_sort(result.ranking.begin(), result.ranking.end(),
                   [&](std::int32_t a, std::int32_t b) { return key(a) < key(b); });
  return result;
}

}  // namespace dgm::inference
