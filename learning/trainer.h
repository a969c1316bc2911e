#pragma once
// Maximum-likelihood training: epochs of minibatch gradient ascent on the average
// log-likelihood of a dataset, with gradients from a GradientEstimator (exact, CD-k, PCD, PMP
// or any sampler's fresh draws) and steps from an Optimizer.
//
// Order of work: epoch e visits the examples in a permutation drawn from the Philox stream
// (seed, kShuffle, e) — Fisher–Yates — and makes ⌊n / B⌋ updates of B examples (the last
// n mod B examples of the permutation wait for another epoch, so every update has the same
// batch size). Everything random is keyed by the seed and the position (epoch, update, sweep),
// so results depend on the seed alone: not on the number of threads, and not on whether the
// run was checkpointed and resumed in between (a checkpoint holds the parameters, the
// optimiser's state, the position and the sampling sessions' chains and stream positions).
//
// Diagnostics per epoch (EpochRecord): the gradient's norm, a deterministic quality proxy on
// the training and test data (learning/quality_proxy.h), and — every `mixing_every` epochs —
// the integrated autocorrelation time of the MCMC sampler T at the current parameters,
// measured on a probe (chains started at the negatives, run for `mixing_sweeps` sweeps, its own
// random stream, so it never changes the training): logged beside k, it shows when k sweeps per
// update fall below the mixing time and training leaves the equilibrium regime (Decelle,
// Furtlehner & Seoane 2021).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dgm/learn.pb.h"
#include "engine/compiled_model.h"
#include "inference/sampling/autocorrelation.h"
#include "learning/dataset.h"
#include "learning/gradient.h"
#include "learning/optimizer.h"
#include "learning/quality_proxy.h"

namespace dgm::learning {

struct TrainerSettings {
  GradientSettings gradient;  // its seed is the run's seed
  OptimizerSettings optimizer;
  std::int64_t epochs = 10;
  std::int32_t batch_size = 100;
  // Quality proxy on at most this many training examples per epoch (the test data: all).
  std::int64_t proxy_examples = 1000;
  // Mixing probe: every this many epochs (0: never), this many sweeps of this many chains.
  std::int64_t mixing_every = 0;
  std::int64_t mixing_sweeps = 400;
  std::int32_t mixing_chains = 16;
};

struct EpochRecord {
  std::int64_t epoch = 0;           // epochs completed (1 after the first)
  std::int64_t updates = 0;         // updates completed over the run
  double seconds = 0.0;             // training time over the run (probes and proxies excluded)
  double updates_per_second = 0.0;  // in this epoch
  double learning_rate = 0.0;       // of this epoch
  double gradient_norm = 0.0;       // root mean square over this epoch's updates of ‖g‖₂
  QualityProxy proxy;
  double train_proxy = 0.0;
  std::optional<double> test_proxy;
  std::optional<inference::Autocorrelation> mixing;
  double probe_seconds = 0.0;  // time of the proxy and the probe
};

class Trainer {
 public:
  // Validates everything (settings, the data against the model) before any work. Throws
  // dgm::Error naming the problem.
  Trainer(const engine::CompiledModel& model, const Dataset& train, VisibleLayout layout,
          TrainerSettings settings, const Dataset* test = nullptr);
  ~Trainer();

  struct Hooks {
    // After every update (a checkpoint may be taken here).
    std::function<void(std::int64_t updates)> on_update;
    // After every epoch, with its diagnostics.
    std::function<void(const EpochRecord&)> on_epoch;
    // Polled after every update; true stops training there (Ctrl-C).
    std::function<bool()> stop;
  };
  // Trains until `settings.epochs` epochs are done or `stop` says so. Returns true when every
  // epoch is done. May be called again to continue after a stop.
  bool run(const Hooks& hooks);

  // A checkpoint at the current position (LearnCheckpoint fields except the config and
  // sources, which the caller knows), and continuing from one: the position, parameters,
  // optimiser and sampling sessions are restored. Throws dgm::Error (naming `source`) when the
  // checkpoint does not belong to this model and data.
  proto::LearnCheckpoint checkpoint() const;
  void restore(const proto::LearnCheckpoint& checkpoint, const std::string& source);

  // The model with the current parameter values.
  const engine::CompiledModel& model() const { return *model_; }
  std::span<const double> parameters() const { return model_->params.values; }
  std::int64_t epoch() const { return epoch_; }
  std::int64_t updates() const { return updates_; }
  std::int64_t updates_per_epoch() const { return updates_per_epoch_; }
  bool finished() const { return epoch_ >= settings_.epochs; }
  const TrainerSettings& settings() const { return settings_; }
  const QualityProxy& proxy() const { return proxy_; }
  // The negatives of the last update (chain-major states; empty for exact gradients): model
  // samples to look at.
  std::span<const std::int32_t> negative_states() const;
  std::int32_t num_negatives() const;

 private:
  bool run_epochs(const Hooks& hooks);
  void shuffle(std::int64_t epoch);
  EpochRecord finish_epoch(double epoch_seconds, double sum_squared_norms,
                           std::int64_t epoch_updates);
  // Whether the negatives come from MCMC steps (cd, pcd, fresh draws refined by k > 0 sweeps),
  // whose mixing the probe measures; fresh draws alone are independent by construction.
  bool probes_mcmc() const;
  inference::Autocorrelation probe_mixing();

  std::shared_ptr<engine::CompiledModel> model_;
  const Dataset& train_;
  const Dataset* test_;
  VisibleLayout layout_;
  TrainerSettings settings_;
  QualityProxy proxy_;
  std::unique_ptr<GradientEstimator> estimator_;
  std::unique_ptr<Optimizer> optimizer_;
  std::int64_t updates_per_epoch_ = 0;
  std::int64_t epoch_ = 0, update_in_epoch_ = 0, updates_ = 0;
  double seconds_ = 0.0;
  // The epoch in progress: its order, and the sums for its record.
  std::vector<std::int64_t> order_;
  std::int64_t order_epoch_ = -1;
  double epoch_seconds_ = 0.0, epoch_norms_ = 0.0;
  std::int64_t epoch_updates_ = 0;
  std::vector<double> gradient_;
};

}  // namespace dgm::learning
