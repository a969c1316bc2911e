// Optimisers: the update formulas step by step, convergence on a concave objective, fixed
// parameters left alone, penalties, schedules, bad gradients refused, and checkpoints that
// continue the same trajectory.
#include "learning/optimizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/error.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

using ::testing::HasSubstr;

// θ: a learnable scalar "a", a fixed scalar "f" and a learnable 2×2 weight "W".
engine::Params params() {
  engine::CompiledModel m = testing::compile_text(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "a" value: 0.0 learnable: true }
    parameters { name: "f" value: 1.0 }
    parameters { name: "W" shape: [2, 2] value: [0.5, -0.5, 0.25, 0.0] learnable: true }
    factors { name: "u" unary { log_odds: "a" } each: "x" }
    factors { name: "p" unary { log_odds: "f" } each: "x" }
    factors { name: "t" pairwise { log_potentials: "W" } scope: "x[0] x[1]" })");
  return m.params;
}

// Gradient of Σ_i −(θ_i − target_i)²/2: the objective is concave with its maximum at target.
std::vector<double> gradient(const std::vector<double>& theta, const std::vector<double>& target) {
  std::vector<double> g(theta.size());
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = target[i] - theta[i];
  return g;
}

TEST(Optimizer, SgdWithMomentumFollowsItsFormula) {
  engine::Params p = params();
  OptimizerSettings s;
  s.learning_rate = 0.1;
  s.momentum = 0.9;
  Optimizer opt(p, s);
  std::vector<double> v = p.values;
  const std::vector<double> g = {1.0, 5.0, 2.0, 0.0, 0.0, -1.0};
  opt.step(v, g, 0);
  EXPECT_DOUBLE_EQ(v[0], 0.1);
  EXPECT_EQ(v[1], 1.0) << "fixed parameters never move";
  EXPECT_DOUBLE_EQ(v[2], 0.7);
  opt.step(v, g, 0);
  EXPECT_DOUBLE_EQ(v[0], 0.1 + 0.1 * (0.9 * 1.0 + 1.0));
  EXPECT_DOUBLE_EQ(v[5], -0.1 - 0.1 * 1.9);
}

TEST(Optimizer, BothOptimisersReachTheMaximum) {
  for (const auto kind : {OptimizerSettings::Kind::kSgd, OptimizerSettings::Kind::kAdam}) {
    engine::Params p = params();
    OptimizerSettings s;
    s.kind = kind;
    s.learning_rate = kind == OptimizerSettings::Kind::kAdam ? 0.05 : 0.1;
    s.momentum = 0.5;
    Optimizer opt(p, s);
    const std::vector<double> target = {3.0, -7.0, -1.0, 2.0, 0.5, 4.0};
    std::vector<double> v = p.values;
    for (int t = 0; t < 2000; ++t) opt.step(v, gradient(v, target), t / 100);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i == 1) {
        EXPECT_EQ(v[i], 1.0);
        continue;
      }
      EXPECT_NEAR(v[i], target[i], 1e-3) << i;
    }
  }
}

TEST(Optimizer, AdamsFirstStepIsTheLearningRateTimesTheSign) {
  engine::Params p = params();
  OptimizerSettings s;
  s.kind = OptimizerSettings::Kind::kAdam;
  s.learning_rate = 0.01;
  Optimizer opt(p, s);
  std::vector<double> v = p.values;
  opt.step(v, std::vector<double>{1e-3, 0, -50, 0, 2, 0}, 0);
  EXPECT_NEAR(v[0], 0.01, 1e-7);
  EXPECT_NEAR(v[2], 0.5 - 0.01, 1e-9);
  EXPECT_NEAR(v[4], 0.25 + 0.01, 1e-9);
  EXPECT_EQ(v[3], -0.5) << "a zero gradient does not move a value";
}

TEST(Optimizer, PenaltiesOnEveryLearnableOrOnWeightsOnly) {
  engine::Params p = params();
  OptimizerSettings s;
  s.learning_rate = 0.1;
  s.l2 = 0.5;
  std::vector<double> v = p.values;
  v[0] = 2.0;
  Optimizer all(p, s);
  const std::vector<double> zero(v.size(), 0.0);
  std::vector<double> a = v;
  all.step(a, zero, 0);
  EXPECT_DOUBLE_EQ(a[0], 2.0 - 0.1 * 0.5 * 2.0);
  EXPECT_DOUBLE_EQ(a[2], 0.5 - 0.1 * 0.5 * 0.5);
  s.penalise_weights_only = true;
  Optimizer weights(p, s);
  std::vector<double> w = v;
  weights.step(w, zero, 0);
  EXPECT_EQ(w[0], 2.0) << "a bias (scalar) is not decayed";
  EXPECT_DOUBLE_EQ(w[2], 0.5 - 0.1 * 0.5 * 0.5);
  // L1: soft threshold, small weights become exactly zero.
  OptimizerSettings l1;
  l1.learning_rate = 0.1;
  l1.l1 = 1.0;
  Optimizer sparse(p, l1);
  std::vector<double> x = p.values;  // W = [0.5, -0.5, 0.25, 0]
  sparse.step(x, zero, 0);
  EXPECT_DOUBLE_EQ(x[2], 0.4);
  EXPECT_DOUBLE_EQ(x[3], -0.4);
  for (int t = 0; t < 5; ++t) sparse.step(x, zero, 0);
  EXPECT_EQ(x[2], 0.0);
  EXPECT_EQ(x[4], 0.0);
}

TEST(Optimizer, SchedulesOfRateAndMomentum) {
  OptimizerSettings s;
  s.learning_rate = 0.1;
  s.decay = 0.5;
  s.decay_every = 10;
  s.momentum = 0.9;
  s.initial_momentum = 0.5;
  s.momentum_switch_epoch = 5;
  Optimizer opt(params(), s);
  EXPECT_DOUBLE_EQ(opt.learning_rate(9), 0.1);
  EXPECT_DOUBLE_EQ(opt.learning_rate(10), 0.05);
  EXPECT_DOUBLE_EQ(opt.learning_rate(25), 0.025);
  EXPECT_EQ(opt.momentum(4), 0.5);
  EXPECT_EQ(opt.momentum(5), 0.9);
}

TEST(Optimizer, BadSettingsAndGradientsAreRefused) {
  using testing::error_of;
  OptimizerSettings s;
  s.learning_rate = -1;
  EXPECT_THAT(error_of([&] { Optimizer(params(), s); }), HasSubstr("learning rate must be"));
  s = {};
  s.momentum = 1.0;
  EXPECT_THAT(error_of([&] { Optimizer(params(), s); }), HasSubstr("momentum must be in [0, 1)"));
  s = {};
  s.l2 = std::nan("");
  EXPECT_THAT(error_of([&] { Optimizer(params(), s); }), HasSubstr("L2"));
  Optimizer opt(params(), OptimizerSettings{});
  std::vector<double> v = params().values;
  const std::vector<double> before = v;
  EXPECT_THAT(error_of([&] {
                opt.step(v, std::vector<double>{0, 0, 0, INFINITY, 0, 0}, 0);
              }),
              HasSubstr("gradient of parameter 'W' is inf"));
  EXPECT_EQ(v, before);
  EXPECT_THAT(error_of([&] { opt.step(v, std::vector<double>{0}, 0); }), HasSubstr("1 gradient"));
}

// The step runs over the learnable parameters' ranges in chunks (in parallel): a weight larger
// than a chunk, a fixed parameter between learnable ones, and values the formula must leave
// alone (a NaN gradient of a fixed parameter, a −inf value nothing penalises).
TEST(Optimizer, ChunkedStepIsTheElementwiseFormulaAndReturnsTheNorm) {
  engine::CompiledModel m = testing::compile_text(R"(
    variables { name: "v" shape: [200] cardinality: 2 }
    variables { name: "h" shape: [210] cardinality: 2 }
    parameters { name: "b" shape: [200] init { constant: 0 } learnable: true }
    parameters { name: "f" shape: [200] init { constant: 1 } }
    parameters { name: "W" shape: [200, 210] init { normal { stddev: 0.1 } seed: 3 } learnable: true }
    factors { name: "vb" unary { log_odds: "b" } each: "v" }
    factors { name: "fixed" unary { log_odds: "f" } each: "v" }
    factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } })");
  const engine::Params& p = m.params;
  const auto& b = p.info[static_cast<std::size_t>(p.find("b"))];
  const auto& f = p.info[static_cast<std::size_t>(p.find("f"))];
  const auto& w = p.info[static_cast<std::size_t>(p.find("W"))];
  ASSERT_GT(w.size, 2 * 16384) << "W must span several chunks";
  OptimizerSettings s;
  s.learning_rate = 0.05;
  s.momentum = 0.5;
  s.l2 = 0.01;
  s.penalise_weights_only = true;
  Optimizer opt(p, s);
  std::vector<double> values = p.values;
  values[static_cast<std::size_t>(b.offset) + 7] = -INFINITY;  // a learnable bias, unpenalised
  std::vector<double> g(values.size());
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = std::sin(0.37 * static_cast<double>(i));
  g[static_cast<std::size_t>(f.offset) + 3] = std::nan("");  // fixed: never read
  std::vector<double> expected = values, velocity(values.size(), 0.0);
  double norm = 0.0;
  for (int step = 0; step < 3; ++step) {
    norm = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto k = static_cast<std::int64_t>(i);
      if (k >= f.offset && k < f.offset + f.size) continue;
      const bool weight = k >= w.offset && k < w.offset + w.size;
      norm += g[i] * g[i];
      const double gi = weight ? g[i] - s.l2 * expected[i] : g[i];
      velocity[i] = s.momentum * velocity[i] + gi;
      expected[i] += s.learning_rate * velocity[i];
    }
    const double returned = opt.step(values, g, 0);
    EXPECT_NEAR(returned, norm, 1e-12 * norm) << "step " << step;
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    ASSERT_DOUBLE_EQ(values[i], expected[i]) << "value " << i;
  EXPECT_EQ(values[static_cast<std::size_t>(b.offset) + 7], -INFINITY);
  EXPECT_EQ(values[static_cast<std::size_t>(f.offset) + 3], 1.0);
}

TEST(Optimizer, RestoredStateContinuesTheSameTrajectory) {
  for (const auto kind : {OptimizerSettings::Kind::kSgd, OptimizerSettings::Kind::kAdam}) {
    OptimizerSettings s;
    s.kind = kind;
    s.momentum = 0.7;
    const std::vector<double> target = {1, 2, 3, 4, 5, 6};
    Optimizer whole(params(), s);
    std::vector<double> a = params().values;
    for (int t = 0; t < 20; ++t) whole.step(a, gradient(a, target), 0);
    Optimizer first(params(), s);
    std::vector<double> b = params().values;
    for (int t = 0; t < 8; ++t) first.step(b, gradient(b, target), 0);
    Optimizer second(params(), s);
    second.restore(first.state());
    for (int t = 8; t < 20; ++t) second.step(b, gradient(b, target), 0);
    EXPECT_EQ(a, b);
    EXPECT_EQ(second.steps(), 20);
  }
}

}  // namespace
}  // namespace dgm::learning
