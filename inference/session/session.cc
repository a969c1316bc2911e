#include "inference/session/session.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dgm/session.pb.h"
#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/fingerprint.h"
#include "engine/numeric_range.h"
#include "engine/value_passes.h"
#include "inference/builtin_samplers.h"
#include "inference/exact/junction_tree.h"

namespace dgm::inference {
namespace {

constexpr std::uint32_t kCheckpointFormat = 1;
// Sweep indices live in 32 bits of the random streams' counters (engine::sweep_counter).
constexpr std::int64_t kMaxSweeps = std::int64_t{1} << 32;

std::shared_ptr<engine::CompiledModel> private_copy(const engine::CompiledModel& model) {
  if (model.graph == nullptr) throw Error("session: the model is not compiled (no graph)");
  return std::make_shared<engine::CompiledModel>(model);  // shares the Graph, copies numbers
}

// What a log-potential may not be: NaN or +inf (finite values and −inf, a hard zero, are fine).
inline bool refused_value(double v) {
  return (v != v) | (v == std::numeric_limits<double>::infinity());
}

[[noreturn]] void throw_refused_value(std::span<const double> values, const std::string& what) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (refused_value(values[i])) {
      std::ostringstream v;
      v << values[i];
      throw Error(what + ": value " + std::to_string(i) + " is " + v.str() +
                  " (log-potentials may be finite or -inf)");
    }
  throw std::logic_error("throw_refused_value: no refused value");
}

}  // namespace

std::string resolve_sampler_name(const std::string& name, const proto::SamplerConfig& config) {
  if (!name.empty()) return name;  // make_sampler checks that `config` fits it
  const std::string selected = sampler_name_of(config);
  return selected.empty() ? "gibbs" : selected;
}

Session::Session(const engine::CompiledModel& model, SessionOptions options)
    // Non-owning: the constructor copies what it keeps (private_copy) before returning.
    : Session(std::shared_ptr<const engine::CompiledModel>(&model, [](const auto*) {}),
              std::move(options)) {}

Session::Session(std::shared_ptr<const engine::CompiledModel> model, SessionOptions options) {
  if (model == nullptr) throw Error("session: no model");
  model_ = private_copy(*model);
  if (options.chains < 1)
    throw Error("session: chains must be at least 1 (got " + std::to_string(options.chains) + ")");
  if (options.threads < 0)
    throw Error("session: threads must be ≥ 0 (0: all cores; got " +
                std::to_string(options.threads) + ")");
  if (options.burn_in < 0 || options.thin < 1)
    throw Error("session: burn-in must be ≥ 0 and thin ≥ 1 (got burn-in " +
                std::to_string(options.burn_in) + ", thin " + std::to_string(options.thin) + ")");
  {
    const engine::Graph& g = *model_->graph;
    engine::check_chain_limits("session", options.chains, g.num_variables(), g.state_offset.back(),
                               static_cast<std::int64_t>(g.memory_bytes()), options.limits);
  }
  config_ = options.config;
  config_.clear_run();
  seed_ = options.seed;
  threads_ = options.threads;
  burn_in_ = options.burn_in;
  thin_ = options.thin;
  build_sampler(resolve_sampler_name(options.sampler, config_));
  chains_ = Chains(options.chains, model_->graph->num_variables());
  start(options);
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

void Session::build_sampler(const std::string& name) {
  sampler_ = make_sampler(name, model_, config_, seed_);
  sampler_name_ = std::string(sampler_->name());
}

void Session::start(const SessionOptions& o) {
  const engine::CompiledModel& model = *model_;
  if (o.start == StartPolicy::kRows) {
    init_from_rows(chains_, model, o.start_rows, o.num_start_rows, o.start_source);
  } else {
    init_uniform(chains_, model, seed_);
    // PMP draws every sample afresh; without hard factors or −inf parameters every start is
    // possible (an O(parameters) test instead of evaluating every chain).
    if (!sampler_->needs_valid_start() || engine::every_state_possible(model)) return;
    // With hard constraints a uniform start is often impossible. Where exact inference is
    // affordable, such chains start from the MAP state instead; otherwise
    // require_positive_probability below explains how to give valid starts.
    bool impossible = false;
    for (std::int32_t b = 0; b < chains_.num_chains() && !impossible; ++b)
      impossible = !zero_probability_reason(model, chains_.chain(b)).empty();
    if (impossible) {
      try {
        const ExactResult map = exact_map(model);
        const std::int32_t n = replace_impossible_starts(chains_, model, map.map_state);
        notes_.push_back(std::to_string(n) + " of " + std::to_string(chains_.num_chains()) +
                         " uniform starts had probability zero; they start from the MAP state");
      } catch (const Error&) {
        // Too wide for exact MAP (or no valid state): reported below.
      }
    }
  }
  if (sampler_->needs_valid_start()) require_positive_probability(chains_, model);
}

void Session::set_threads(int threads) {
  if (threads < 0)
    throw Error("session: threads must be ≥ 0 (0: all cores; got " + std::to_string(threads) + ")");
  threads_ = threads;
}

RunSummary Session::run(const Budget& budget, std::span<RunObserver* const> observers) {
  if (budget.sweeps < 0 && budget.seconds < 0 && !budget.stop)
    throw Error("session: a run needs a budget (sweeps, seconds or a stop callback)");
  if (std::isnan(budget.seconds)) throw Error("session: the time budget is NaN");
  RunOptions options;
  options.first_sweep = sweeps_done_;
  options.sweeps = budget.sweeps >= 0 ? budget.sweeps : kMaxSweeps - sweeps_done_;
  if (sweeps_done_ + options.sweeps > kMaxSweeps)
    throw Error("session: " + std::to_string(sweeps_done_ + options.sweeps) +
                " sweeps in all is beyond the 2^32 the random streams can index");
  options.burn_in = burn_in_;
  options.thin = thin_;
  options.reset = needs_reset_;
  if (budget.seconds >= 0) options.max_seconds = budget.seconds;
  options.stop = budget.stop;
  // The session's counters move sweep by sweep, before any other observer hears of the sweep,
  // so an observer may save a checkpoint mid-run (checkpoint() is consistent after a sweep).
  class Counter : public RunObserver {
   public:
    explicit Counter(Session& s) : s_(s) {}
    void on_sample(std::int64_t, const Chains&) override { ++s_.kept_sweeps_; }
    bool on_sweep(std::int64_t, const Chains&, const SweepStats&) override {
      ++s_.sweeps_done_;
      s_.needs_reset_ = false;
      return true;
    }

   private:
    Session& s_;
  } counter(*this);
  std::vector<RunObserver*> all = {&counter};
  all.insert(all.end(), observers.begin(), observers.end());
  RunSummary summary;
  // A sweep that throws may leave the sampler's caches half updated: rebuild them next time.
  needs_reset_ = true;
  auto go = [&] {
    try {
      summary = run_sampler(*sampler_, chains_, options, all);
    } catch (...) {
      needs_reset_ = true;
      throw;
    }
  };
  if (threads_ > 0) {
    tbb::task_arena arena(threads_);
    arena.execute(go);
  } else {
    go();
  }
  needs_reset_ = false;
  return summary;
}

bool Session::stage_values(std::span<const double> values, const std::string& what) {
  previous_values_.resize(values.size());
  // Fixed chunks in parallel (learning stages 392,000 values per RBM update), each copied in
  // one pass that also reports non-finite values (engine/value_passes.h); only a chunk that has
  // some tells them apart: NaN and +inf are refused, −inf (a hard zero) is allowed.
  constexpr std::size_t kChunk = 32768;
  const std::size_t chunks = (values.size() + kChunk - 1) / kChunk;
  std::atomic<bool> refused{false}, minus_infinity{false};
  auto stage = [&](std::size_t c) {
    const auto begin = values.begin() + static_cast<std::ptrdiff_t>(c * kChunk);
    const auto end =
        values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), (c + 1) * kChunk));
    if (!engine::copy_reporting_non_finite(&*begin, previous_values_.data() + c * kChunk,
                                           end - begin))
      return;
    if (std::any_of(begin, end, refused_value)) refused.store(true, std::memory_order_relaxed);
    minus_infinity.store(true, std::memory_order_relaxed);  // if not refused, they are −inf
  };
  if (chunks > 1)
    tbb::parallel_for(std::size_t{0}, chunks, stage);
  else if (chunks == 1)
    stage(0);
  if (refused.load()) throw_refused_value(values, what);
  return minus_infinity.load();
}

void Session::set_parameters(std::span<const double> values) {
  const engine::Params& params = model_->params;
  if (values.size() != params.values.size())
    throw Error("set_parameters: " + std::to_string(values.size()) +
                " values given; the model has " + std::to_string(params.values.size()));
  const bool minus_infinity = stage_values(values, "set_parameters");
  engine::check_log_potential_scale(*model_->graph, previous_values_, "set_parameters");
  install_staged(minus_infinity);
}

void Session::install_staged(bool has_minus_infinity) {
  engine::Params& params = mutable_model().params;
  // The old values wait in previous_values_ (its capacity reused: learning calls this every
  // update) until the sampler has accepted the new ones.
  std::swap(params.values, previous_values_);
  ++params.version;
  try {
    sampler_->refresh_parameters();
  } catch (...) {
    // A sampler may refuse numbers outside its own range (PMP's noise resolution): the
    // session keeps the old ones, and the sampler what it derived from them.
    std::swap(params.values, previous_values_);
    ++params.version;
    sampler_->refresh_parameters();
    throw;
  }
  needs_reset_ = true;
  possible_ = !has_minus_infinity && engine::kinds_allow_every_state(*model_->graph);
  possible_version_ = params.version;
}

bool Session::every_state_possible() {
  if (possible_version_ != model_->params.version) {
    possible_ = engine::every_state_possible(*model_);
    possible_version_ = model_->params.version;
  }
  return possible_;
}

void Session::set_parameter(std::string_view name, std::span<const double> values) {
  engine::Params& params = mutable_model().params;
  const int index = params.find(name);
  if (index < 0) {
    std::string names;
    for (const auto& info : params.info) names += (names.empty() ? "" : ", ") + info.name;
    throw Error("set_parameter: no parameter '" + std::string(name) +
                "'; parameters are: " + (names.empty() ? "(none)" : names));
  }
  const engine::ParamInfo& info = params.info[static_cast<std::size_t>(index)];
  if (static_cast<std::int64_t>(values.size()) != info.size)
    throw Error("set_parameter '" + info.name + "': " + std::to_string(values.size()) +
                " values given; it has " + std::to_string(info.size));
  const std::string what = "set_parameter '" + info.name + "'";
  for (const double v : values)
    if (refused_value(v)) throw_refused_value(values, what);
  std::vector<double> candidate = params.values;
  std::copy(values.begin(), values.end(), candidate.begin() + info.offset);
  const bool minus_infinity = stage_values(candidate, what);
  engine::check_log_potential_scale(*model_->graph, previous_values_, what);
  install_staged(minus_infinity);
}

void Session::set_states(std::span<const std::int32_t> states, const std::string& source) {
  if (static_cast<std::int64_t>(states.size()) !=
      static_cast<std::int64_t>(chains_.num_chains()) * chains_.num_variables())
    throw Error(source + ": " + std::to_string(states.size()) + " values; expected " +
                std::to_string(chains_.num_chains()) + " chains × " +
                std::to_string(chains_.num_variables()) + " variables");
  if (!sampler_->needs_valid_start() || every_state_possible()) {
    // init_from_rows checks every row before it writes any: on bad rows the chains are kept.
    // (CD in learning sets the states of every update: no new buffer each time.)
    init_from_rows(chains_, *model_, states, chains_.num_chains(), source);
  } else {
    Chains next(chains_.num_chains(), chains_.num_variables());
    init_from_rows(next, *model_, states, chains_.num_chains(), source);
    require_positive_probability(next, *model_);
    chains_ = std::move(next);
  }
  needs_reset_ = true;
}

proto::SessionCheckpoint Session::checkpoint() const {
  proto::SessionCheckpoint c;
  c.set_format_version(kCheckpointFormat);
  c.set_sampler(sampler_name_);
  *c.mutable_config() = config_;
  c.set_seed(seed_);
  c.set_num_chains(chains_.num_chains());
  c.set_num_variables(chains_.num_variables());
  c.set_sweeps_done(sweeps_done_);
  c.set_kept_sweeps(kept_sweeps_);
  c.set_burn_in(burn_in_);
  c.set_thin(thin_);
  const std::span<const std::int32_t> states = chains_.states();
  c.set_states(std::string(reinterpret_cast<const char*>(states.data()), states.size_bytes()));
  // Caches that sweeps left behind; after a change from outside the sampler holds none yet.
  if (!needs_reset_) {
    SamplerStateWriter writer;
    sampler_->save_state(writer);
    c.set_sampler_state(writer.bytes());
  }
  c.set_structure_fingerprint(engine::structure_fingerprint(*model_));
  c.set_parameter_fingerprint(engine::parameter_fingerprint(model_->params));
  c.set_parameter_version(model_->params.version);
  c.set_model_source(model_->source);
  return c;
}

void Session::save(const std::string& path, std::int64_t output_rows) const {
  proto::SessionCheckpoint c = checkpoint();
  c.set_output_rows(output_rows);
  engine::write_file_atomically(path, c.SerializeAsString());
}

Session Session::restore(const std::string& path, const engine::CompiledModel& model, int threads) {
  return restore(read_checkpoint(path), model, threads, path);
}

proto::SessionCheckpoint Session::read_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the saved session (" + std::strerror(errno) + ")");
  std::stringstream bytes;
  bytes << in.rdbuf();
  proto::SessionCheckpoint checkpoint;
  if (!checkpoint.ParseFromString(bytes.str()))
    throw Error(path + ": not a saved dgm session (it does not parse)");
  if (checkpoint.format_version() != kCheckpointFormat)
    throw Error(path + ": not a saved dgm session of the format this dgm reads (format " +
                std::to_string(checkpoint.format_version()) + ", expected " +
                std::to_string(kCheckpointFormat) + ")");
  return checkpoint;
}

Session Session::restore(const proto::SessionCheckpoint& c, const engine::CompiledModel& model,
                         int threads, const std::string& source) {
  if (c.format_version() != kCheckpointFormat)
    throw Error(source + ": saved session format " + std::to_string(c.format_version()) +
                " is not the format this dgm reads (" + std::to_string(kCheckpointFormat) + ")");
  if (model.graph == nullptr) throw Error(source + ": restore needs a compiled model");
  if (c.num_variables() != model.graph->num_variables() ||
      c.structure_fingerprint() != engine::structure_fingerprint(model))
    throw Error(source +
                ": the saved session ran on a different model (its structure or evidence "
                "differs from " +
                (model.source.empty() ? std::string("the model given") : model.source) + ")");
  if (c.parameter_fingerprint() != engine::parameter_fingerprint(model.params))
    throw Error(source + ": the saved session ran with other parameter values than " +
                (model.source.empty() ? std::string("the model given") : model.source) + " has");
  const std::int64_t n = c.num_variables();
  if (c.num_chains() < 1 || c.sweeps_done() < 0 || c.sweeps_done() > kMaxSweeps ||
      c.kept_sweeps() < 0 || c.burn_in() < 0 || c.thin() < 1 ||
      c.states().size() != static_cast<std::size_t>(c.num_chains()) * n * sizeof(std::int32_t))
    throw Error(source + ": the saved session is damaged (inconsistent sizes or counters)");
  if (threads < 0)
    throw Error("session: threads must be ≥ 0 (0: all cores; got " + std::to_string(threads) + ")");
  Session s;
  s.model_ = private_copy(model);
  s.model_->params.version = c.parameter_version();
  s.config_ = c.config();
  s.seed_ = c.seed();
  s.threads_ = threads;
  s.burn_in_ = c.burn_in();
  s.thin_ = c.thin();
  s.build_sampler(c.sampler());
  std::vector<std::int32_t> states(static_cast<std::size_t>(c.num_chains()) * n);
  std::memcpy(states.data(), c.states().data(), c.states().size());
  s.chains_ = Chains(c.num_chains(), static_cast<std::int32_t>(n));
  init_from_rows(s.chains_, *s.model_, states, c.num_chains(), source);
  s.sweeps_done_ = c.sweeps_done();
  s.kept_sweeps_ = c.kept_sweeps();
  if (!c.sampler_state().empty()) {
    // Rebuild the caches as a run would, then overwrite them with the saved ones.
    s.sampler_->reset(s.chains_);
    SamplerStateReader reader(c.sampler_state(), source);
    s.sampler_->restore_state(reader, s.chains_);
    reader.finish();
    s.needs_reset_ = false;
  }
  return s;
}

}  // namespace dgm::inference
