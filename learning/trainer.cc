#include "learning/trainer.h"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "engine/error.h"
#include "engine/fingerprint.h"
#include "engine/random.h"
#include "inference/session/session.h"
#include "learning/batch_statistics.h"

namespace dgm::learning {
namespace {

constexpr std::uint32_t kCheckpointFormat = 1;
constexpr std::uint64_t kProbeSeed = 0x70726f6265;  // "probe"

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The mixing probe's observable: θ·φ̄, the chains' mean log-potential without the constant
// (exact for every weighted factor kind; logical factors add 0 on valid states). One value per
// sweep from the batch statistics (a matrix product for an RBM), so the probe costs about as
// much as its sweeps.
class MeanLogPotential : public inference::RunObserver {
 public:
  MeanLogPotential(const engine::CompiledModel& model, std::vector<double>& series)
      : model_(model), statistics_(model), phi_(model.params.values.size()), series_(series) {}
  bool on_sweep(std::int64_t, const inference::Chains& chains,
                const inference::SweepStats&) override {
    statistics_.mean({chains.states(), chains.num_chains(), {}, {}}, phi_);
    double sum = 0.0;
    for (std::size_t i = 0; i < phi_.size(); ++i)
      if (phi_[i] != 0.0) sum += model_.params.values[i] * phi_[i];
    series_.push_back(sum);
    return true;
  }

 private:
  const engine::CompiledModel& model_;
  BatchStatistics statistics_;
  std::vector<double> phi_;
  std::vector<double>& series_;
};

}  // namespace

Trainer::Trainer(const engine::CompiledModel& model, const Dataset& train, VisibleLayout layout,
                 TrainerSettings settings, const Dataset* test)
    : model_(std::make_shared<engine::CompiledModel>(model)),
      train_(train),
      test_(test),
      layout_(std::move(layout)),
      settings_(std::move(settings)) {
  if (settings_.epochs < 0)
    throw Error("learning: the number of epochs must be ≥ 0 (got " +
                std::to_string(settings_.epochs) + ")");
  if (settings_.batch_size < 1)
    throw Error("learning: the batch size must be ≥ 1 (got " +
                std::to_string(settings_.batch_size) + ")");
  if (train.num_examples < 1) throw Error("learning: " + train.source + " has no examples");
  if (settings_.batch_size > train.num_examples)
    throw Error("learning: the batch size " + std::to_string(settings_.batch_size) +
                " is larger than the " + std::to_string(train.num_examples) + " examples of " +
                train.source);
  if (settings_.mixing_every < 0 || settings_.mixing_sweeps < 8 || settings_.mixing_chains < 1)
    throw Error(
        "learning: the mixing probe needs mixing_every ≥ 0, at least 8 sweeps and one chain");
  settings_.optimizer.validate();
  validate_dataset(train, model, layout_);
  if (test != nullptr) {
    if (test->width != train.width)
      throw Error("learning: " + test->source + " has " + std::to_string(test->width) +
                  " values per example, the training data " + train.source + " " +
                  std::to_string(train.width));
    validate_dataset(*test, model, layout_);
  }
  proxy_ = quality_proxy_for(model, layout_);
  estimator_ = std::make_unique<GradientEstimator>(*model_, layout_, settings_.batch_size,
                                                   settings_.gradient);
  optimizer_ = std::make_unique<Optimizer>(model_->params, settings_.optimizer);
  updates_per_epoch_ = train.num_examples / settings_.batch_size;
  gradient_.assign(model_->params.values.size(), 0.0);
}

Trainer::~Trainer() = default;

void Trainer::shuffle(std::int64_t epoch) {
  if (order_epoch_ == epoch) return;
  const std::int64_t n = train_.num_examples;
  order_.resize(static_cast<std::size_t>(n));
  std::iota(order_.begin(), order_.end(), std::int64_t{0});
  const engine::CounterRng rng(
      settings_.gradient.seed,
      engine::stream_id(engine::StreamPurpose::kShuffle, static_cast<std::uint64_t>(epoch)));
  for (std::int64_t i = n - 1; i > 0; --i) {
    const double u = rng.uniform(static_cast<std::uint64_t>(i));  // (0, 1]
    const auto j = std::min<std::int64_t>(i, static_cast<std::int64_t>(u * (i + 1)));
    std::swap(order_[static_cast<std::size_t>(i)], order_[static_cast<std::size_t>(j)]);
  }
  order_epoch_ = epoch;
}

bool Trainer::run(const Hooks& hooks) {
  // `threads` bounds all of the trainer's parallel work (statistics, products, proxies), not
  // only the sessions'; results are the same for any value.
  if (settings_.gradient.threads > 0) {
    tbb::task_arena arena(settings_.gradient.threads);
    return arena.execute([&] { return run_epochs(hooks); });
  }
  return run_epochs(hooks);
}

bool Trainer::run_epochs(const Hooks& hooks) {
  while (epoch_ < settings_.epochs) {
    shuffle(epoch_);
    while (update_in_epoch_ < updates_per_epoch_) {
      const Clock::time_point start = Clock::now();
      const std::span<const std::int64_t> rows(
          order_.data() + update_in_epoch_ * settings_.batch_size,
          static_cast<std::size_t>(settings_.batch_size));
      estimator_->gradient(train_, rows, gradient_);
      const double norm = optimizer_->step(model_->params.values, gradient_, epoch_);
      ++model_->params.version;
      estimator_->set_parameters(model_->params.values);
      const double took = seconds_since(start);
      seconds_ += took;
      epoch_seconds_ += took;
      epoch_norms_ += norm;
      ++epoch_updates_;
      ++update_in_epoch_;
      ++updates_;
      if (hooks.on_update) hooks.on_update(updates_);
      if (update_in_epoch_ < updates_per_epoch_ && hooks.stop && hooks.stop()) return false;
    }
    const EpochRecord record = finish_epoch(epoch_seconds_, epoch_norms_, epoch_updates_);
    ++epoch_;
    update_in_epoch_ = 0;
    epoch_seconds_ = epoch_norms_ = 0.0;
    epoch_updates_ = 0;
    if (hooks.on_epoch) hooks.on_epoch(record);
    if (epoch_ < settings_.epochs && hooks.stop && hooks.stop()) return false;
  }
  return true;
}

EpochRecord Trainer::finish_epoch(double epoch_seconds, double sum_squared_norms,
                                  std::int64_t epoch_updates) {
  const Clock::time_point start = Clock::now();
  EpochRecord r;
  r.epoch = epoch_ + 1;
  r.updates = updates_;
  r.seconds = seconds_;
  r.updates_per_second = epoch_seconds > 0 ? epoch_updates / epoch_seconds : 0.0;
  r.learning_rate = optimizer_->learning_rate(epoch_);
  r.gradient_norm =
      epoch_updates > 0 ? std::sqrt(sum_squared_norms / static_cast<double>(epoch_updates)) : 0;
  r.proxy = proxy_;
  r.train_proxy = quality_proxy(*model_, layout_, train_, settings_.proxy_examples);
  if (test_ != nullptr) r.test_proxy = quality_proxy(*model_, layout_, *test_);
  if (settings_.mixing_every > 0 && probes_mcmc() && (epoch_ + 1) % settings_.mixing_every == 0)
    r.mixing = probe_mixing();
  r.probe_seconds = seconds_since(start);
  return r;
}

bool Trainer::probes_mcmc() const {
  const Negatives n = settings_.gradient.negatives;
  return n == Negatives::kCd || n == Negatives::kPcd ||
         (n == Negatives::kFresh && settings_.gradient.k > 0);
}

inference::Autocorrelation Trainer::probe_mixing() {
  // The training sampler T at the current parameters, started at the latest negatives (for CD:
  // chains started at data, i.e. what CD's k sweeps start from).
  const inference::Session& source = *estimator_->negatives_session();
  const std::int32_t chains = std::min(settings_.mixing_chains, source.num_chains());
  const std::int32_t n = model_->graph->num_variables();
  inference::SessionOptions o;
  o.sampler = settings_.gradient.sampler;
  o.config = settings_.gradient.sampler_config;
  o.chains = chains;
  o.seed = settings_.gradient.seed ^ kProbeSeed ^ (static_cast<std::uint64_t>(epoch_) << 40);
  o.threads = settings_.gradient.threads;
  o.start = inference::StartPolicy::kRows;
  const auto states = source.chains().states();
  o.start_rows.assign(states.begin(), states.begin() + static_cast<std::ptrdiff_t>(chains) * n);
  o.num_start_rows = chains;
  o.start_source = "the training chains";
  inference::Session probe(model_, std::move(o));
  std::vector<double> series;
  series.reserve(static_cast<std::size_t>(settings_.mixing_sweeps));
  MeanLogPotential observer(*model_, series);
  inference::RunObserver* observers[] = {&observer};
  probe.run(inference::Budget::for_sweeps(settings_.mixing_sweeps), observers);
  return inference::integrated_autocorrelation(series, 1, static_cast<std::int64_t>(series.size()));
}

std::span<const std::int32_t> Trainer::negative_states() const {
  const inference::Session* s = estimator_->negatives_session();
  return s != nullptr ? s->chains().states() : std::span<const std::int32_t>{};
}

std::int32_t Trainer::num_negatives() const {
  const inference::Session* s = estimator_->negatives_session();
  return s != nullptr ? s->num_chains() : 0;
}

proto::LearnCheckpoint Trainer::checkpoint() const {
  proto::LearnCheckpoint c;
  c.set_format_version(kCheckpointFormat);
  c.set_data_examples(train_.num_examples);
  c.set_data_fingerprint(engine::states_fingerprint(train_.values));
  c.set_structure_fingerprint(engine::structure_fingerprint(*model_));
  c.mutable_values()->Assign(model_->params.values.begin(), model_->params.values.end());
  const std::vector<double> state = optimizer_->state();
  c.mutable_optimizer_state()->Assign(state.begin(), state.end());
  c.set_updates(updates_);
  c.set_epoch(epoch_);
  c.set_update_in_epoch(update_in_epoch_);
  for (const auto& [role, session] : estimator_->session_checkpoints())
    (*c.mutable_sessions())[role] = session;
  c.set_seconds(seconds_);
  c.set_epoch_squared_norms(epoch_norms_);
  c.set_epoch_seconds(epoch_seconds_);
  const auto hidden = estimator_->clamped_hidden_chains();
  if (!hidden.empty())
    c.set_clamped_hidden(
        std::string(reinterpret_cast<const char*>(hidden.data()), hidden.size_bytes()));
  return c;
}

void Trainer::restore(const proto::LearnCheckpoint& c, const std::string& source) {
  if (c.format_version() != kCheckpointFormat)
    throw Error(source + ": not a training checkpoint of this version of dgm (format " +
                std::to_string(c.format_version()) + ")");
  if (c.structure_fingerprint() != engine::structure_fingerprint(*model_))
    throw Error(source +
                ": the checkpoint was written for another model (its structure or "
                "evidence differs)");
  if (c.data_examples() != train_.num_examples ||
      c.data_fingerprint() != engine::states_fingerprint(train_.values))
    throw Error(source + ": the checkpoint was written for other training data than " +
                train_.source + " (" + std::to_string(c.data_examples()) + " examples then, " +
                std::to_string(train_.num_examples) + " now, or other values)");
  if (static_cast<std::size_t>(c.values_size()) != model_->params.values.size())
    throw Error(source + ": the checkpoint holds " + std::to_string(c.values_size()) +
                " parameter values for a model with " +
                std::to_string(model_->params.values.size()));
  if (c.update_in_epoch() < 0 || c.update_in_epoch() > updates_per_epoch_ || c.epoch() < 0 ||
      c.updates() != c.epoch() * updates_per_epoch_ + c.update_in_epoch())
    throw Error(source + ": the checkpoint's position (epoch " + std::to_string(c.epoch()) +
                ", update " + std::to_string(c.update_in_epoch()) +
                ") does not fit the batch size");
  std::copy(c.values().begin(), c.values().end(), model_->params.values.begin());
  ++model_->params.version;
  optimizer_->restore(
      {c.optimizer_state().data(), static_cast<std::size_t>(c.optimizer_state_size())});
  estimator_->set_parameters(model_->params.values);
  estimator_->restore_sessions({c.sessions().begin(), c.sessions().end()}, source);
  if (c.clamped_hidden().size() % sizeof(std::int32_t) != 0)
    throw Error(source + ": the checkpoint's hidden chains are damaged");
  std::vector<std::int32_t> hidden(c.clamped_hidden().size() / sizeof(std::int32_t));
  if (!hidden.empty())
    std::memcpy(hidden.data(), c.clamped_hidden().data(), c.clamped_hidden().size());
  estimator_->restore_clamped_hidden(hidden, train_.num_examples, c.updates());
  updates_ = c.updates();
  epoch_ = c.epoch();
  update_in_epoch_ = c.update_in_epoch();
  seconds_ = c.seconds();
  epoch_norms_ = c.epoch_squared_norms();
  epoch_seconds_ = c.epoch_seconds();
  epoch_updates_ = update_in_epoch_;
  order_epoch_ = -1;
}

}  // namespace dgm::learning
