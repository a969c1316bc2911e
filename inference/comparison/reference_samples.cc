#include "inference/comparison/reference_samples.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "engine/npy.h"
#include "inference/exact/junction_tree.h"
#include "inference/metrics/effective_sample_size.h"
#include "inference/metrics/split_rhat.h"
#include "inference/session/session.h"

namespace dgm::inference {

namespace {

// The reference's streams must not be the compared samplers' (same model, same seed): its
// sessions run with the seed moved by a fixed odd constant.
constexpr std::uint64_t kReferenceSeedOffset = 0x9e3779b97f4a7c15ULL;

constexpr std::int64_t kDefaultSamples = 500;
// Floor sets by default: the floor's noise falls with the pooled floor rows, and exact draws
// cost little; a long run pays a chain per row.
constexpr std::int64_t kExactFloorSets = 10;
constexpr std::int64_t kFloorSets = 5;
constexpr std::int64_t kDefaultBurnIn = 1000;
constexpr std::int64_t kDefaultThin = 20;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool junction_tree_affordable(const engine::CompiledModel& model) {
  try {
    std::vector<std::int32_t> evidence = model.evidence;
    if (evidence.empty()) evidence.assign(model.graph->num_variables(), engine::kFree);
    const JunctionTree tree(model.graph, evidence);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Splits `all` (total rows × N) into the reference (the first `want`, or what leaves room for
// one floor set) and whole floor sets of `floor.set_rows` rows, as many as fit up to
// `floor.sets`.
void split_rows(std::vector<std::int32_t> all, std::int64_t total, std::int64_t want,
                const FloorSets& wanted, std::int32_t n, ReferenceSamples& out) {
  const std::int64_t set = wanted.set_rows;
  std::int64_t reference = std::min(want, total);
  std::int64_t sets = set > 0 ? std::min<std::int64_t>(wanted.sets, (total - reference) / set) : 0;
  if (sets == 0 && set > 0 && total >= 2 * set) {  // short of rows: keep one floor set
    sets = 1;
    reference = total - set;
  }
  const std::int64_t floor = sets * set;
  const auto cut = static_cast<std::size_t>(reference * n);
  out.floor_rows.assign(all.begin() + static_cast<std::ptrdiff_t>(cut),
                        all.begin() + static_cast<std::ptrdiff_t>(cut + floor * n));
  all.resize(cut);
  out.rows = std::move(all);
  out.num_rows = reference;
  out.num_floor_rows = floor;
  out.floor_set_rows = sets > 0 ? set : 0;
}

ReferenceSamples exact_reference(const engine::CompiledModel& model, std::int64_t want,
                                 const FloorSets& floor, std::uint64_t seed, int threads) {
  const auto start = std::chrono::steady_clock::now();
  const std::int64_t total = want + floor.rows();
  if (total > std::numeric_limits<std::int32_t>::max())
    throw Error("compare: " + std::to_string(total) + " reference rows is too many");
  SessionOptions options;
  options.sampler = "exact";
  options.chains = static_cast<std::int32_t>(total);
  options.seed = seed + kReferenceSeedOffset;
  options.threads = threads;
  Session session(model, options);
  session.run(Budget::for_sweeps(1));
  ReferenceSamples out;
  out.source = "exact";
  out.exact = true;
  const std::vector<std::int32_t> all(session.chains().states().begin(),
                                      session.chains().states().end());
  split_rows(all, total, want, floor, model.graph->num_variables(), out);
  out.provenance = std::to_string(out.num_rows) +
                   " exact i.i.d. samples (forward filtering, backward sampling on the junction "
                   "tree)";
  out.seconds = seconds_since(start);
  return out;
}

// Collects every kept sweep's states, chain-major at the end, and a trace of the energies of
// the first kTraceChains chains over the second half of the run (kTraceEntries entries at
// most), from which the reference's split-R̂ and ESS say whether its chains agree.
class LongRun : public RunObserver {
 public:
  static constexpr std::int32_t kTraceChains = 64;
  static constexpr std::int64_t kTraceEntries = 50;

  LongRun(const engine::CompiledModel& model, std::int32_t chains, std::int64_t kept,
          std::int64_t sweeps)
      : model_(model),
        chains_(chains),
        kept_(kept),
        traced_(std::min(chains, kTraceChains)),
        first_traced_(sweeps / 2),
        stride_(std::max<std::int64_t>(1, (sweeps - sweeps / 2) / kTraceEntries)) {
    const auto n = static_cast<std::size_t>(model.graph->num_variables());
    states_.resize(static_cast<std::size_t>(chains) * static_cast<std::size_t>(kept) * n);
  }
  bool on_sweep(std::int64_t sweep, const Chains& chains, const SweepStats&) override {
    if (sweep < first_traced_ || (sweep - first_traced_) % stride_ != 0) return true;
    std::vector<double> energy(static_cast<std::size_t>(traced_));
    tbb::parallel_for(0, traced_, [&](std::int32_t c) {
      energy[static_cast<std::size_t>(c)] = engine::total_log_potential(model_, chains.chain(c));
    });
    trace_.insert(trace_.end(), energy.begin(), energy.end());
    ++entries_;
    return true;
  }
  void on_sample(std::int64_t /*sweep*/, const Chains& chains) override {
    if (t_ >= kept_) return;
    const auto n = static_cast<std::size_t>(chains.num_variables());
    for (std::int32_t c = 0; c < chains_; ++c) {
      const std::span<const std::int32_t> x = chains.chain(c);
      const std::size_t row = static_cast<std::size_t>(c) * static_cast<std::size_t>(kept_) +
                              static_cast<std::size_t>(t_);
      std::copy(x.begin(), x.end(), states_.begin() + static_cast<std::ptrdiff_t>(row * n));
    }
    ++t_;
  }
  std::vector<std::int32_t>& states() { return states_; }
  // The energy trace chain-major (traced chains × entries); empty when it has < 4 entries.
  std::vector<double> trace() const {
    if (entries_ < 4) return {};
    std::vector<double> out(trace_.size());
    for (std::int64_t t = 0; t < entries_; ++t)
      for (std::int32_t c = 0; c < traced_; ++c)
        out[static_cast<std::size_t>(c * entries_ + t)] =
            trace_[static_cast<std::size_t>(t * traced_ + c)];
    return out;
  }
  std::int32_t traced_chains() const { return traced_; }
  std::int64_t entries() const { return entries_; }

 private:
  const engine::CompiledModel& model_;
  std::int32_t chains_;
  std::int64_t kept_, t_ = 0;
  std::int32_t traced_;
  std::int64_t first_traced_, stride_, entries_ = 0;
  std::vector<std::int32_t> states_;
  std::vector<double> trace_;
};

ReferenceSamples sampler_reference(const engine::CompiledModel& model,
                                   const proto::CompareReference& ref, std::int64_t want,
                                   const FloorSets& floor, std::uint64_t seed, int threads) {
  const auto start = std::chrono::steady_clock::now();
  const std::string name = ref.sampler().empty() ? default_reference_sampler(model) : ref.sampler();
  if (ref.chains() < 0 || ref.burn_in() < 0 || ref.thin() < 0 || ref.samples_per_chain() < 0)
    throw Error(
        "compare: the reference's chains, burn_in, thin and samples_per_chain must be ≥ 0 (0: "
        "default)");
  const std::int64_t total = want + floor.rows();
  const std::int64_t per_chain = ref.samples_per_chain() > 0 ? ref.samples_per_chain() : 1;
  const std::int64_t chains64 =
      ref.chains() > 0 ? ref.chains() : (total + per_chain - 1) / per_chain;
  if (chains64 > std::numeric_limits<std::int32_t>::max())
    throw Error("compare: " + std::to_string(chains64) + " reference chains is too many");
  const auto chains = static_cast<std::int32_t>(chains64);
  const std::int64_t burn_in = ref.burn_in() > 0 ? ref.burn_in() : kDefaultBurnIn;
  const std::int64_t thin = ref.thin() > 0 ? ref.thin() : kDefaultThin;
  const std::int64_t kept = std::max<std::int64_t>(per_chain, (total + chains - 1) / chains);
  SessionOptions options;
  options.sampler = name;
  options.config = ref.config();
  options.chains = chains;
  options.seed = seed + kReferenceSeedOffset;
  options.threads = threads;
  options.burn_in = burn_in;
  options.thin = thin;
  Session session(model, options);
  const std::int64_t sweeps = burn_in + thin * kept;
  LongRun run(model, chains, kept, sweeps);
  RunObserver* observers[] = {&run};
  session.run(Budget::for_sweeps(sweeps), observers);

  ReferenceSamples out;
  out.source = "sampler";
  split_rows(std::move(run.states()), chains * kept, want, floor, model.graph->num_variables(),
             out);
  const std::vector<double> trace = run.trace();
  if (!trace.empty() &&
      std::all_of(trace.begin(), trace.end(), [](double e) { return std::isfinite(e); })) {
    out.rhat = split_rhat(trace, run.traced_chains(), run.entries());
    out.ess = geyer_ess(trace, run.traced_chains(), run.entries()).ess;
  }
  std::ostringstream text;
  text << name << ": " << chains << " chains, " << burn_in << " burn-in sweeps, then " << kept
       << (kept == 1 ? " sample per chain"
                     : " samples per chain, one every " + std::to_string(thin) + " sweeps")
       << " (energy split-R̂ " << out.rhat << " and ESS " << out.ess << " over the second half, "
       << run.traced_chains() << " chains)";
  out.provenance = text.str();
  out.seconds = seconds_since(start);
  return out;
}

ReferenceSamples file_reference(const engine::CompiledModel& model, const std::string& path,
                                std::int64_t want, const FloorSets& floor) {
  const engine::NpyArray array = engine::read_npy(path, /*allow_integers=*/true);
  const engine::Graph& g = *model.graph;
  const std::int32_t n = g.num_variables();
  if (array.shape.size() != 2 || array.shape[1] != n) {
    std::string shape;
    for (const std::int64_t d : array.shape)
      shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw Error(path + ": reference samples must be an array of shape [rows, " + std::to_string(n) +
                "] (one state per row), got [" + shape + "]");
  }
  const std::int64_t rows = array.shape[0];
  if (rows < 2)
    throw Error(path + ": a reference needs at least 2 rows, got " + std::to_string(rows));
  std::vector<std::int32_t> states(array.values.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int32_t v = 0; v < n; ++v) {
      const double value = array.values[static_cast<std::size_t>(r * n + v)];
      const std::int32_t k = g.cardinality[v];
      if (!(value >= 0 && value < k) || value != std::floor(value))
        throw Error(path + ": row " + std::to_string(r) + ", " + g.variable_name(v) + ": state " +
                    std::to_string(value) + " is not one of 0.." + std::to_string(k - 1));
      const auto s = static_cast<std::int32_t>(value);
      if (!model.evidence.empty() && model.evidence[static_cast<std::size_t>(v)] != engine::kFree &&
          model.evidence[static_cast<std::size_t>(v)] != s)
        throw Error(path + ": row " + std::to_string(r) + ", " + g.variable_name(v) + ": state " +
                    std::to_string(s) + " contradicts the evidence (" +
                    std::to_string(model.evidence[static_cast<std::size_t>(v)]) + ")");
      states[static_cast<std::size_t>(r * n + v)] = s;
    }
  ReferenceSamples out;
  out.source = "file";
  split_rows(std::move(states), rows, want, floor, n, out);
  out.provenance = std::to_string(out.num_rows) + " rows of " + path +
                   (out.num_floor_rows > 0
                        ? " (" + std::to_string(out.num_floor_rows) + " more rows for the floor)"
                        : " (too few rows for an MMD floor: " + std::to_string(rows) + ")");
  return out;
}

}  // namespace

std::string default_reference_sampler(const engine::CompiledModel& model) {
  return model.graph->analysis.bipartite ? "block-gibbs" : "chromatic-gibbs";
}

ReferenceSamples make_reference(const engine::CompiledModel& model,
                                const proto::CompareReference& reference, const FloorSets& floor,
                                std::uint64_t seed, int threads) {
  if (reference.samples() < 0)
    throw Error("compare: reference samples must be ≥ 0 (0: the default " +
                std::to_string(kDefaultSamples) + ")");
  const std::int64_t want = reference.samples() > 0 ? reference.samples() : kDefaultSamples;
  std::string source = reference.source().empty() ? "auto" : reference.source();
  if (source == "auto") source = junction_tree_affordable(model) ? "exact" : "sampler";
  FloorSets sets = floor;
  if (sets.sets <= 0) sets.sets = source == "exact" ? kExactFloorSets : kFloorSets;
  if (source == "exact") return exact_reference(model, want, sets, seed, threads);
  if (source == "sampler") return sampler_reference(model, reference, want, sets, seed, threads);
  if (source == "file") {
    if (reference.file().empty())
      throw Error("compare: a reference from a file needs its path (reference { file: ... })");
    return file_reference(model, reference.file(), want, sets);
  }
  throw Error("compare: unknown reference source '" + source +
              "' (one of auto, exact, sampler, file)");
}

}  // namespace dgm::inference
