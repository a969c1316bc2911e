// dgm::Session: the public face of inference::Session (observers and chains seen through
// ChainsView, budgets and summaries as public structs, draw() into a caller's buffer).
#include "dgm/session.h"

#include <algorithm>
#include <cstring>

#include "api/model_impl.h"
#include "engine/error.h"
#include "inference/builtin_samplers.h"
#include "inference/session/session.h"

namespace dgm {

struct Session::Impl {
  inference::Session session;
};

namespace {

ChainsView view_of(const inference::Chains& chains) {
  return ChainsView(chains.num_chains(), chains.num_variables(), chains.states());
}

inference::Budget budget_of(const Budget& budget) {
  inference::Budget b;
  b.sweeps = budget.sweeps;
  b.seconds = budget.seconds;
  if (budget.stop)
    b.stop = [stop = budget.stop](const inference::RunProgress& p) {
      return stop(Progress{p.sweeps_done, p.kept_sweeps, p.seconds});
    };
  return b;
}

RunSummary summary_of(const inference::RunSummary& s) {
  RunSummary out;
  out.sweeps_done = s.sweeps_done;
  out.kept_sweeps = s.kept_sweeps;
  out.seconds = s.seconds;
  out.stopped_early = s.stopped_early;
  out.site_updates = s.totals.site_updates;
  out.proposals = s.totals.proposals;
  out.accepted = s.totals.accepted;
  out.changed = s.totals.changed;
  out.factor_evaluations = s.totals.factor_evaluations;
  out.messages = s.totals.messages;
  out.flops = s.totals.flops;
  return out;
}

// Forwards the internal run loop's calls to a public observer, with the global sweep index.
class Forward : public inference::RunObserver {
 public:
  Forward(Observer& observer, std::int64_t first_sweep)
      : observer_(observer), first_sweep_(first_sweep) {}
  bool on_sweep(std::int64_t sweep, const inference::Chains& chains,
                const inference::SweepStats&) override {
    return observer_.on_sweep(first_sweep_ + sweep, view_of(chains));
  }
  void on_sample(std::int64_t sweep, const inference::Chains& chains) override {
    observer_.on_sample(first_sweep_ + sweep, view_of(chains));
  }

 private:
  Observer& observer_;
  std::int64_t first_sweep_;
};

inference::SessionOptions options_of(const Model& model, SessionOptions options) {
  inference::SessionOptions o;
  o.sampler = std::move(options.sampler);
  o.config = std::move(options.config);
  o.chains = options.chains;
  o.seed = options.seed;
  o.threads = options.threads;
  o.burn_in = options.burn_in;
  o.thin = options.thin;
  o.limits.max_chain_states = options.max_chain_states;
  o.limits.max_memory_bytes = options.max_memory_bytes;
  if (!options.start_states.empty()) {
    const std::size_t n = static_cast<std::size_t>(model.num_variables());
    if (n == 0 || options.start_states.size() % n != 0)
      throw Error("session: start_states holds " + std::to_string(options.start_states.size()) +
                      " values, not a multiple of the model's " + std::to_string(n) + " variables",
                  error_details(ErrorCode::kBadValue, std::to_string(options.start_states.size())));
    o.start = inference::StartPolicy::kRows;
    o.num_start_rows = static_cast<std::int64_t>(options.start_states.size() / n);
    o.start_rows = std::move(options.start_states);
  }
  return o;
}

}  // namespace

Session::Session(const Model& model, SessionOptions options)
    : impl_(std::make_unique<Impl>(Impl{inference::Session(
          ModelAccess::shared(model), options_of(model, std::move(options)))})) {}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session Session::restore(const std::string& path, const Model& model, int threads) {
  return Session(std::make_unique<Impl>(
      Impl{inference::Session::restore(path, ModelAccess::compiled(model), threads)}));
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

RunSummary Session::run(const Budget& budget, std::span<Observer* const> observers) {
  std::vector<Forward> forwards;
  forwards.reserve(observers.size());
  for (Observer* o : observers) forwards.emplace_back(*o, impl_->session.sweeps_done());
  std::vector<inference::RunObserver*> all;
  for (Forward& f : forwards) all.push_back(&f);
  return summary_of(impl_->session.run(budget_of(budget), all));
}

RunSummary Session::run(const Budget& budget, const SampleCallback& on_sample) {
  class Callback : public Observer {
   public:
    explicit Callback(const SampleCallback& f) : f_(f) {}
    void on_sample(std::int64_t sweep, const ChainsView& chains) override { f_(sweep, chains); }

   private:
    const SampleCallback& f_;
  } callback(on_sample);
  Observer* observers[] = {&callback};
  return run(budget, observers);
}

std::int64_t Session::draw(std::span<std::int32_t> out, const Budget& budget) {
  const std::size_t n = static_cast<std::size_t>(num_variables());
  if (out.size() % n != 0)
    throw Error("draw: a buffer of " + std::to_string(out.size()) +
                    " values does not hold whole samples of " + std::to_string(n) + " variables",
                error_details(ErrorCode::kBadValue, std::to_string(out.size())));
  const std::int64_t capacity = static_cast<std::int64_t>(out.size() / n);
  std::int64_t rows = 0;
  // Copies each kept sweep's chains straight into the caller's buffer and stops the run as
  // soon as it is full, so no batch is held twice.
  class Fill : public inference::RunObserver {
   public:
    Fill(std::span<std::int32_t> out, std::int64_t capacity, std::int64_t& rows)
        : out_(out), capacity_(capacity), rows_(rows) {}
    void on_sample(std::int64_t, const inference::Chains& chains) override {
      const std::int64_t take = std::min<std::int64_t>(chains.num_chains(), capacity_ - rows_);
      const std::size_t n = static_cast<std::size_t>(chains.num_variables());
      std::memcpy(out_.data() + rows_ * n, chains.states().data(),
                  static_cast<std::size_t>(take) * n * sizeof(std::int32_t));
      rows_ += take;
    }
    bool on_sweep(std::int64_t, const inference::Chains&, const inference::SweepStats&) override {
      return rows_ < capacity_;
    }

   private:
    std::span<std::int32_t> out_;
    std::int64_t capacity_;
    std::int64_t& rows_;
  } fill(out, capacity, rows);
  if (capacity == 0) return 0;
  inference::Budget b = budget_of(budget);
  // No limit given: the full buffer is the limit (the run loop wants one to be set).
  if (b.sweeps < 0 && b.seconds < 0 && !b.stop)
    b.stop = [](const inference::RunProgress&) { return false; };
  inference::RunObserver* observers[] = {&fill};
  impl_->session.run(b, observers);
  return rows;
}

void Session::set_parameters(std::span<const double> values) {
  impl_->session.set_parameters(values);
}

void Session::set_parameter(std::string_view name, std::span<const double> values) {
  impl_->session.set_parameter(name, values);
}

void Session::set_states(std::span<const std::int32_t> states) {
  impl_->session.set_states(states);
}

void Session::save(const std::string& path) const { impl_->session.save(path); }

ChainsView Session::chains() const { return view_of(impl_->session.chains()); }
std::int32_t Session::num_chains() const { return impl_->session.num_chains(); }
std::int32_t Session::num_variables() const { return impl_->session.chains().num_variables(); }
const std::string& Session::sampler_name() const { return impl_->session.sampler_name(); }
std::int64_t Session::sweeps_done() const { return impl_->session.sweeps_done(); }
std::int64_t Session::kept_sweeps() const { return impl_->session.kept_sweeps(); }
std::span<const double> Session::parameter_values() const {
  return impl_->session.model().params.values;
}
const std::vector<std::string>& Session::notes() const { return impl_->session.notes(); }

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const auto& info : inference::sampler_registry()) names.push_back(info.name);
  return names;
}

}  // namespace dgm
