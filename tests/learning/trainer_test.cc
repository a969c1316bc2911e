// The trainer: seeded epochs, checkpoints that resume to bit-identical parameters for every
// kind of negatives, thread-count independence, the learned-model file, refusals of bad input;
// the autocorrelation estimator behind its mixing diagnostics.
#include "learning/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "engine/log_potential.h"
#include "inference/sampling/autocorrelation.h"
#include "learning/learned_model.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

using ::testing::HasSubstr;

constexpr const char* kRbm = R"(
  variables { name: "v" shape: [6] cardinality: 2 }
  variables { name: "h" shape: [3] cardinality: 2 }
  parameters { name: "W" shape: [6, 3] init { normal { stddev: 0.1 } seed: 4 } learnable: true }
  parameters { name: "b" shape: [6] value: [0, 0, 0, 0, 0, 0] learnable: true }
  parameters { name: "c" shape: [3] value: [0, 0, 0] learnable: true }
  factors { name: "weights" bipartite { left: "v" right: "h" weights: "W" } }
  factors { name: "vb" unary { log_odds: "b" } each: "v" }
  factors { name: "hb" unary { log_odds: "c" } each: "h" })";

constexpr const char* kIsing = R"(
  variables { name: "s" shape: [3, 3] cardinality: 2 }
  parameters { name: "J" value: 0.0 learnable: true }
  parameters { name: "h" value: 0.0 learnable: true }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
  factors { name: "field" unary { field: "h" } each: "s" })";

// Hidden variables that are not an RBM layer (3-state, coupled to each other and to the
// visible ones): the data side samples them with the visible clamped.
constexpr const char* kHiddenPotts = R"(
  variables { name: "v" shape: [6] cardinality: 2 }
  variables { name: "z" shape: [2] cardinality: 3 }
  parameters { name: "P" shape: [2, 3] value: [0, 0, 0, 0, 0, 0] learnable: true }
  parameters { name: "Q" value: 2.0 learnable: true }
  factors { name: "vz" pairwise { log_potentials: "P" } between { left: "v" right: "z" } }
  factors { name: "zz" potts { coupling: "Q" } scope: "z[0] z[1]" })";

// Examples drawn exactly from `m` (fully visible, binary) by inverting the CDF of its
// enumerated distribution.
Dataset exact_samples(const engine::CompiledModel& m, std::int64_t n, std::uint64_t seed) {
  const std::int32_t vars = m.graph->num_variables();
  std::vector<double> p(std::size_t{1} << vars);
  std::vector<std::int32_t> x(static_cast<std::size_t>(vars));
  double z = 0.0;
  for (std::size_t state = 0; state < p.size(); ++state) {
    for (std::int32_t v = 0; v < vars; ++v)
      x[static_cast<std::size_t>(v)] = static_cast<std::int32_t>((state >> v) & 1);
    p[state] = std::exp(engine::total_log_potential(m, x));
    z += p[state];
  }
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, z);
  Dataset d;
  d.source = "exact samples";
  d.num_examples = n;
  d.width = vars;
  for (std::int64_t i = 0; i < n; ++i) {
    const double target = u(gen);
    double sum = 0.0;
    std::size_t state = 0;
    for (; state + 1 < p.size(); ++state) {
      sum += p[state];
      if (sum >= target) break;
    }
    for (std::int32_t v = 0; v < vars; ++v)
      d.values.push_back(static_cast<std::int32_t>((state >> v) & 1));
  }
  return d;
}

Dataset random_binary(std::int64_t rows, std::int64_t width, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  Dataset d;
  d.source = "random";
  d.num_examples = rows;
  d.width = width;
  for (std::int64_t i = 0; i < rows * width; ++i)
    d.values.push_back(static_cast<std::int32_t>(gen() % 3 == 0));  // biased, so b moves
  return d;
}

Trainer::Hooks epoch_hook(std::function<void(const EpochRecord&)> f) {
  Trainer::Hooks hooks;
  hooks.on_epoch = std::move(f);
  return hooks;
}

TrainerSettings settings_for(Negatives negatives, const std::string& sampler, std::int64_t k) {
  TrainerSettings s;
  s.gradient.negatives = negatives;
  s.gradient.sampler = sampler;
  s.gradient.fresh_sampler = "pmp";
  s.gradient.k = k;
  s.gradient.chains = 8;
  s.gradient.seed = 11;
  s.gradient.hidden_sweeps = 1;  // so that clamped hidden chains remember where they were
  s.optimizer.learning_rate = 0.05;
  s.optimizer.momentum = 0.5;
  s.epochs = 3;
  s.batch_size = 10;
  s.mixing_every = 1;
  s.mixing_sweeps = 32;
  s.mixing_chains = 4;
  return s;
}

std::vector<double> train_through(const engine::CompiledModel& m, const Dataset& data,
                                  const TrainerSettings& s, std::int64_t stop_after = -1,
                                  int threads_after = -1) {
  VisibleLayout layout = visible_layout(*m.graph, {}, data.width, data.source);
  Trainer trainer(m, data, layout, s);
  if (stop_after < 0) {
    EXPECT_TRUE(trainer.run({}));
    return {trainer.parameters().begin(), trainer.parameters().end()};
  }
  Trainer::Hooks hooks;
  hooks.stop = [&] { return trainer.updates() >= stop_after; };
  EXPECT_FALSE(trainer.run(hooks));
  EXPECT_EQ(trainer.updates(), stop_after);
  // Through the bytes a checkpoint file holds.
  proto::LearnCheckpoint saved;
  EXPECT_TRUE(saved.ParseFromString(trainer.checkpoint().SerializeAsString()));
  TrainerSettings again = s;
  if (threads_after >= 0) again.gradient.threads = threads_after;
  Trainer resumed(m, data, layout, again);
  resumed.restore(saved, "checkpoint");
  EXPECT_EQ(resumed.updates(), stop_after);
  EXPECT_TRUE(resumed.run({}));
  return {resumed.parameters().begin(), resumed.parameters().end()};
}

struct Case {
  const char* name;
  const char* model;
  Negatives negatives;
  const char* sampler;
  std::int64_t k;
};

TEST(Trainer, ResumeGivesBitIdenticalParametersForEveryKindOfNegatives) {
  const Case cases[] = {
      {"cd-1 gibbs rbm", kRbm, Negatives::kCd, "gibbs", 1},
      {"cd-2 block-gibbs rbm", kRbm, Negatives::kCd, "block-gibbs", 2},
      {"pcd gibbs rbm", kRbm, Negatives::kPcd, "gibbs", 1},
      {"pcd-2 block-gibbs rbm (visible-first chains)", kRbm, Negatives::kPcd, "block-gibbs", 2},
      {"pcd gwg ising", kIsing, Negatives::kPcd, "gwg", 3},
      {"pmp k=0 ising", kIsing, Negatives::kFresh, "gibbs", 0},
      {"pmp + 2 gibbs rbm", kRbm, Negatives::kFresh, "gibbs", 2},
      {"exact ising", kIsing, Negatives::kExact, "gibbs", 1},
      {"pcd gibbs, clamped hidden chains", kHiddenPotts, Negatives::kPcd, "gibbs", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const engine::CompiledModel m = testing::compile_text(c.model);
    const std::int64_t width = std::string(c.model) == kIsing ? 9 : 6;
    const Dataset data = random_binary(45, width, 5);  // 4 updates per epoch, 5 examples wait
    const TrainerSettings s = settings_for(c.negatives, c.sampler, c.k);
    const std::vector<double> whole = train_through(m, data, s);
    // Mid-epoch and at an epoch boundary.
    EXPECT_EQ(train_through(m, data, s, 5), whole);
    EXPECT_EQ(train_through(m, data, s, 8), whole);
    // The parameters moved, and another seed moves them elsewhere.
    const std::vector<double> start = m.params.values;
    EXPECT_NE(whole, start);
    TrainerSettings other = s;
    other.gradient.seed = 12;
    if (c.negatives != Negatives::kExact) {
      EXPECT_NE(train_through(m, data, other), whole);
    }
  }
}

TEST(Trainer, ResultsDoNotDependOnTheNumberOfThreads) {
  const engine::CompiledModel m = testing::compile_text(kRbm);
  const Dataset data = random_binary(60, 6, 8);
  for (const Negatives n : {Negatives::kPcd, Negatives::kFresh}) {
    TrainerSettings s = settings_for(n, "block-gibbs", 1);
    s.gradient.chains = 32;
    s.gradient.threads = 1;
    const std::vector<double> one = train_through(m, data, s);
    s.gradient.threads = 2;
    EXPECT_EQ(train_through(m, data, s), one);
    // Saved on 2 threads, continued on 1.
    EXPECT_EQ(train_through(m, data, s, 7, 1), one);
  }
}

TEST(Trainer, EpochsShuffleTheDataAndDropNoExampleForever) {
  // With 45 examples and batches of 10, each epoch leaves 5 out; over epochs every example is
  // used (the permutation differs per epoch). A model whose one bias learns the data mean
  // with the exact gradient sees it: an example never used would bias the result.
  const engine::CompiledModel m = testing::compile_text(R"(
    variables { name: "x" shape: [1] cardinality: 2 }
    parameters { name: "b" value: 0 learnable: true }
    factors { name: "u" unary { log_odds: "b" } each: "x" })");
  Dataset data;
  data.source = "ones-last";
  data.num_examples = 45;
  data.width = 1;
  for (int i = 0; i < 45; ++i) data.values.push_back(i >= 40 ? 1 : 0);
  TrainerSettings s = settings_for(Negatives::kExact, "gibbs", 1);
  s.batch_size = 10;
  s.epochs = 40;
  s.optimizer.momentum = 0.0;
  s.optimizer.learning_rate = 0.5;
  s.mixing_every = 0;
  VisibleLayout layout = visible_layout(*m.graph, {}, 1, "d");
  Trainer trainer(m, data, layout, s);
  std::int64_t epochs = 0;
  trainer.run(epoch_hook([&](const EpochRecord& r) {
    ++epochs;
    EXPECT_EQ(r.updates, epochs * 4);
    EXPECT_EQ(r.proxy.name, "pseudo_log_likelihood");
  }));
  EXPECT_EQ(epochs, 40);
  // Mean 5/45 → b = log(1/8) ≈ −2.08; without shuffling the ones would never be seen.
  EXPECT_NEAR(trainer.parameters()[0], std::log(5.0 / 40.0), 0.6);
  EXPECT_GT(trainer.parameters()[0], -4.0);
}

TEST(Trainer, ExactTrainingRecoversTheGeneratingParameters) {
  const engine::CompiledModel truth = testing::compile_text(R"(
    variables { name: "s" shape: [3, 3] cardinality: 2 }
    parameters { name: "J" value: 0.4 learnable: true }
    parameters { name: "h" value: -0.2 learnable: true }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "field" unary { field: "h" } each: "s" })");
  const Dataset data = exact_samples(truth, 4000, 17);
  const engine::CompiledModel start = testing::compile_text(kIsing);
  TrainerSettings s = settings_for(Negatives::kExact, "gibbs", 1);
  s.batch_size = 200;
  s.epochs = 30;
  s.optimizer.learning_rate = 0.1;
  s.optimizer.decay = 0.7;
  s.optimizer.decay_every = 5;
  s.mixing_every = 0;
  VisibleLayout layout = visible_layout(*start.graph, {}, 9, "d");
  Trainer trainer(start, data, layout, s, &data);
  std::vector<EpochRecord> records;
  trainer.run(epoch_hook([&](const EpochRecord& r) { records.push_back(r); }));
  // Statistical error of 4000 examples ≈ 0.01–0.02; 0.06 is a bug, not noise.
  EXPECT_NEAR(trainer.parameters()[0], 0.4, 0.06);
  EXPECT_NEAR(trainer.parameters()[1], -0.2, 0.06);
  ASSERT_EQ(records.size(), 30u);
  EXPECT_GT(records.back().train_proxy, records.front().train_proxy);  // PLL improved
  ASSERT_TRUE(records.back().test_proxy.has_value());
  EXPECT_LT(records.back().gradient_norm, records.front().gradient_norm);
}

TEST(Trainer, MixingProbeReportsTheAutocorrelationTime) {
  const engine::CompiledModel m = testing::compile_text(kIsing);
  const Dataset data = random_binary(40, 9, 3);
  TrainerSettings s = settings_for(Negatives::kPcd, "gibbs", 1);
  s.epochs = 2;
  s.mixing_sweeps = 200;
  VisibleLayout layout = visible_layout(*m.graph, {}, 9, "d");
  Trainer trainer(m, data, layout, s);
  std::vector<EpochRecord> records;
  trainer.run(epoch_hook([&](const EpochRecord& r) { records.push_back(r); }));
  ASSERT_EQ(records.size(), 2u);
  for (const EpochRecord& r : records) {
    ASSERT_TRUE(r.mixing.has_value());
    EXPECT_GE(r.mixing->tau_int, 0.5);
    EXPECT_LT(r.mixing->tau_int, 50.0);
  }
  // The probe never changes the training: without it the parameters are the same.
  TrainerSettings quiet = s;
  quiet.mixing_every = 0;
  Trainer plain(m, data, layout, quiet);
  plain.run({});
  EXPECT_EQ(std::vector<double>(plain.parameters().begin(), plain.parameters().end()),
            std::vector<double>(trainer.parameters().begin(), trainer.parameters().end()));
}

TEST(Trainer, RefusesBadSettingsAndForeignCheckpoints) {
  const engine::CompiledModel m = testing::compile_text(kRbm);
  const Dataset data = random_binary(20, 6, 1);
  VisibleLayout layout = visible_layout(*m.graph, {}, 6, "d");
  TrainerSettings s = settings_for(Negatives::kCd, "gibbs", 1);
  s.batch_size = 21;
  EXPECT_THAT(testing::error_of([&] { Trainer(m, data, layout, s); }),
              HasSubstr("batch size 21 is larger than the 20 examples"));
  s.batch_size = 10;
  s.epochs = -1;
  EXPECT_THAT(testing::error_of([&] { Trainer(m, data, layout, s); }), HasSubstr("epochs"));
  s.epochs = 1;
  Dataset bad = data;
  bad.values[13] = 2;  // row 2, column 1
  EXPECT_THAT(testing::error_of([&] { Trainer(m, bad, layout, s); }), HasSubstr("row 2"));
  Dataset narrow = random_binary(20, 5, 1);
  narrow.source = "narrow.npy";
  EXPECT_THAT(testing::error_of([&] { Trainer(m, data, layout, s, &narrow); }),
              HasSubstr("narrow.npy has 5 values per example"));

  Trainer trainer(m, data, layout, s);
  trainer.run({});
  const proto::LearnCheckpoint c = trainer.checkpoint();
  const Dataset other = random_binary(20, 6, 2);
  Trainer elsewhere(m, other, layout, s);
  EXPECT_THAT(testing::error_of([&] { elsewhere.restore(c, "run.ckpt"); }),
              HasSubstr("run.ckpt: the checkpoint was written for other training data"));
  const engine::CompiledModel ising = testing::compile_text(kIsing);
  const Dataset nine = random_binary(20, 9, 1);
  Trainer wrong_model(ising, nine, visible_layout(*ising.graph, {}, 9, "d"),
                      settings_for(Negatives::kCd, "gibbs", 1));
  EXPECT_THAT(testing::error_of([&] { wrong_model.restore(c, "run.ckpt"); }),
              HasSubstr("another model"));
  TrainerSettings pcd = s;
  pcd.gradient.negatives = Negatives::kPcd;
  Trainer other_method(m, data, layout, pcd);
  EXPECT_THAT(testing::error_of([&] { other_method.restore(c, "run.ckpt"); }),
              HasSubstr("do not match the training settings"));
}

TEST(LearnedModel, RoundTripsEveryValueBitForBit) {
  const std::string dir = testing::scratch_dir();
  const std::string text = std::string(kRbm);
  const std::string path = testing::write_file(dir, "rbm.pbtxt", text);
  const engine::LoadedModel loaded = engine::load_model(path);
  engine::CompiledModel m = engine::load_compiled(path);
  // Values that do not survive a short decimal printing.
  for (std::size_t i = 0; i < m.params.values.size(); ++i)
    m.params.values[i] = std::sqrt(2.0) * static_cast<double>(i) / 7.0 - 0.3;
  EXPECT_THAT(testing::error_of([&] {
                save_learned_model(loaded.model, m.params, dir + "/missing/learned.pbtxt");
              }),
              HasSubstr("missing/learned.pbtxt: cannot write"));
  std::filesystem::create_directory(dir + "/out");
  const std::vector<std::string> written =
      save_learned_model(loaded.model, m.params, dir + "/out/learned.pbtxt");
  // W has 18 values (inline); nothing goes to .npy below the limit.
  ASSERT_EQ(written.size(), 1u);
  const engine::CompiledModel back = engine::load_compiled(dir + "/out/learned.pbtxt");
  EXPECT_EQ(back.params.values, m.params.values);
  EXPECT_TRUE(back.params.info[0].learnable);
}

TEST(LearnedModel, LargeParametersGoToNpyBesideTheModel) {
  const std::string dir = testing::scratch_dir();
  const std::string path = testing::write_file(dir, "big.pbtxt", R"(
    variables { name: "v" shape: [10] cardinality: 2 }
    variables { name: "h" shape: [8] cardinality: 2 }
    parameters { name: "W" shape: [10, 8] init { uniform { low: -1 high: 1 } seed: 3 }
                 learnable: true }
    factors { name: "weights" bipartite { left: "v" right: "h" weights: "W" } })");
  const engine::LoadedModel loaded = engine::load_model(path);
  const engine::CompiledModel m = engine::load_compiled(path);
  const std::vector<std::string> written =
      save_learned_model(loaded.model, m.params, dir + "/learned.pbtxt");
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0], dir + "/learned.W.npy");
  EXPECT_EQ(engine::load_compiled(dir + "/learned.pbtxt").params.values, m.params.values);
  EXPECT_THAT(
      testing::error_of([&] { save_learned_model(loaded.model, m.params, dir + "/x.uai"); }),
      HasSubstr(".pbtxt or .pb"));
}

TEST(Autocorrelation, MatchesAnAutoregressiveProcess) {
  // AR(1) x_t = ρ x_{t−1} + ε: τ_int = (1 + ρ) / (1 − ρ).
  for (const double rho : {0.0, 0.5, 0.9}) {
    SCOPED_TRACE(rho);
    std::mt19937_64 gen(5);
    std::normal_distribution<double> eps(0.0, 1.0);
    const std::int64_t chains = 8, length = 20000;
    std::vector<double> series;
    for (std::int64_t c = 0; c < chains; ++c) {
      double x = eps(gen) / std::sqrt(1 - rho * rho);
      for (std::int64_t t = 0; t < length; ++t) {
        series.push_back(x);
        x = rho * x + eps(gen);
      }
    }
    const inference::Autocorrelation a =
        inference::integrated_autocorrelation(series, chains, length);
    const double expected = (1 + rho) / (1 - rho);
    EXPECT_TRUE(a.reliable);
    EXPECT_NEAR(a.tau_int, expected, 0.08 * expected);
    EXPECT_NEAR(a.ess, chains * length / expected, 0.1 * chains * length / expected);
  }
}

TEST(Autocorrelation, ShortSeriesAreALowerBoundAndBadInputIsRefused) {
  std::vector<double> ramp;
  for (int t = 0; t < 50; ++t) ramp.push_back(t);  // a trend: correlated beyond the series
  const inference::Autocorrelation a = inference::integrated_autocorrelation(ramp, 1, 50);
  EXPECT_FALSE(a.reliable);
  EXPECT_GT(a.tau_int, 5.0);
  const std::vector<double> flat(10, 1.0);
  EXPECT_TRUE(inference::integrated_autocorrelation(flat, 1, 10).constant);
  EXPECT_THAT(testing::error_of([] { inference::integrated_autocorrelation({}, 1, 3); }),
              HasSubstr("4 or more"));
  const std::vector<double> nan = {1, 2, std::nan(""), 4};
  EXPECT_THAT(testing::error_of([&] { inference::integrated_autocorrelation(nan, 1, 4); }),
              HasSubstr("non-finite"));
}

}  // namespace
}  // namespace dgm::learning
