// The gradient-informed samplers (inference/gradient), unit part: the sum tree; the
// flip-difference scores against brute force and fast against generic; incremental scores
// against full recomputation after thousands of moves; statistical exactness of gwg, gwg-2 and
// dmala against enumeration on one model of each kind of the pool (binary, categorical, soft,
// evidence, hard), a wrong reverse term failing the same check; the RBM visible-marginal path
// (exact against enumeration with both score kinds, its cached scores against a scalar
// computation); hard constraints, evidence, determinism across thread counts, the registry
// and the sweep statistics. gradient_slow_test runs the statistical checks on every model of
// the pools, and DULA's bias against the step size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "inference/builtin_samplers.h"
#include "inference/gibbs/rbm_block_gibbs.h"
#include "inference/gradient/flip_scores.h"
#include "inference/gradient/gwg_sampler.h"
#include "inference/gradient/rbm_marginal.h"
#include "inference/gradient/sum_tree.h"
#include "inference/sampling/run.h"
#include "tests/inference/gibbs_test_util.h"
#include "tests/inference/gradient_test_util.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using gibbs_test::compile_random;
using gibbs_test::initial_chains;
using gibbs_test::TestModel;
using gradient_test::kUnitModels;
using gradient_test::make;
using gradient_test::Spec;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::int32_t> random_state(const engine::Graph& g, std::mt19937_64& rng) {
  std::vector<std::int32_t> x(static_cast<std::size_t>(g.num_variables()));
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    x[v] = std::uniform_int_distribution<std::int32_t>(0, g.cardinality[v] - 1)(rng);
  return x;
}

// ---------------------------------------------------------------------------------------
// Sum tree
// ---------------------------------------------------------------------------------------

TEST(SumTree, SamplesInProportionToTheWeightsAndNeverAZero) {
  const std::vector<double> w = {0.0, 3.0, 0.0, 1.0, 0.5, 0.0, 2.5};  // 7 leaves, capacity 8
  SumTree tree(static_cast<std::int64_t>(w.size()));
  tree.assign(w);
  EXPECT_DOUBLE_EQ(tree.total(), 7.0);
  std::vector<double> counts(w.size(), 0.0);
  const int n = 70000;
  for (int i = 0; i < n; ++i) counts[tree.sample((i + 0.5) / n)] += 1.0;
  for (std::size_t k = 0; k < w.size(); ++k)
    EXPECT_NEAR(counts[k] / n, w[k] / 7.0, 2.0 / n) << "leaf " << k;
  // At and beyond the ends of [0, 1) the descent still lands on positive leaves.
  for (const double u : {0.0, 1e-300, 0.999999999999, 1.0, 1.5}) {
    const std::int64_t k = tree.sample(u);
    EXPECT_GT(w[k], 0.0) << "u = " << u;
  }
}

TEST(SumTree, SettingALeafBackRestoresEveryNodeBitForBit) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> weight(0.0, 1.0);
  std::vector<double> w(1000);
  for (double& x : w) x = weight(rng) * std::exp(20 * weight(rng));
  SumTree tree(1000), fresh(1000);
  tree.assign(w);
  const double total = tree.total();
  for (int trial = 0; trial < 2000; ++trial) {
    const auto i = static_cast<std::int64_t>(rng() % 1000);
    const double old = tree.leaf(i);
    tree.set(i, weight(rng) * 1e6);
    tree.set(i, old);
  }
  EXPECT_EQ(tree.total(), total);  // exact: the tree is a function of its leaves
  for (int trial = 0; trial < 2000; ++trial) {
    const auto i = static_cast<std::int64_t>(rng() % 1000);
    w[static_cast<std::size_t>(i)] = trial % 7 == 0 ? 0.0 : weight(rng);
    tree.set(i, w[static_cast<std::size_t>(i)]);
  }
  fresh.assign(w);
  EXPECT_EQ(tree.total(), fresh.total());
  for (std::int64_t i = 0; i < 1000; ++i) EXPECT_EQ(tree.leaf(i), w[static_cast<std::size_t>(i)]);
}

// ---------------------------------------------------------------------------------------
// Flip-difference scores
// ---------------------------------------------------------------------------------------

TEST(FlipScores, EqualLogPotentialDifferencesOnEveryFactorKind) {
  std::mt19937_64 rng(7);
  std::int64_t checked = 0;
  for (std::uint64_t seed = 0; seed < 80; ++seed) {
    testing::RandomModelOptions o =
        seed % 2 ? testing::mixed_options(seed) : testing::with_evidence_options(seed);
    const TestModel t = compile_random(o);
    const engine::Graph& g = *t.model.graph;
    const FlipScores scores(t.model, /*generic_only=*/true);
    std::vector<double> delta(static_cast<std::size_t>(scores.num_slots()));
    std::vector<double> field, scratch(scores.scratch_size());
    for (int trial = 0; trial < 6; ++trial) {
      const auto x = trial == 0 ? t.witness : random_state(g, rng);
      const double f = engine::total_log_potential(t.model, x);
      if (!std::isfinite(f)) continue;
      scores.compute_all(x, field, delta, scratch);
      for (const std::int32_t v : scores.free_variables())
        for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
          if (k == x[v]) {
            if (g.cardinality[v] > 2) {
              EXPECT_EQ(delta[scores.first_slot(v) + k], -kInf);
            }
            continue;
          }
          auto y = x;
          y[v] = k;
          const double expected = engine::total_log_potential(t.model, y) - f;
          const double got = delta[static_cast<std::size_t>(scores.slot_of(v, k))];
          if (std::isinf(expected)) {
            EXPECT_EQ(got, expected) << t.description;
          } else {
            EXPECT_NEAR(got, expected, 1e-9 * (1 + std::abs(f))) << t.description;
          }
          ++checked;
        }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(FlipScores, FastPathEqualsGenericPath) {
  std::mt19937_64 rng(8);
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    testing::RandomModelOptions o = testing::binary_pairwise_options(seed, 9);
    o.evidence_probability = 0.5;
    const TestModel t = compile_random(o);
    const FlipScores fast(t.model, false), generic(t.model, true);
    ASSERT_TRUE(fast.fast());
    ASSERT_FALSE(generic.fast());
    std::vector<double> a(static_cast<std::size_t>(fast.num_slots())), b = a;
    std::vector<double> field(9), scratch(2);
    for (int trial = 0; trial < 20; ++trial) {
      const auto x = random_state(*t.model.graph, rng);
      fast.compute_all(x, field, a, scratch);
      generic.compute_all(x, field, b, scratch);
      for (std::size_t s = 0; s < a.size(); ++s)
        EXPECT_NEAR(a[s], b[s], 1e-12 * (1 + std::abs(b[s]))) << t.description;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Incremental scores against full recomputation
// ---------------------------------------------------------------------------------------

// Runs `steps` proposals (one sweep's rescoring, then incremental updates only) and compares
// every chain's stored scores with a recomputation from its state.
void expect_incremental_equals_full(const engine::CompiledModel& model, const GwgParams& params,
                                    std::int64_t steps, double tolerance, const char* what) {
  GwgSampler sampler(model, params, 5);
  Chains chains(4, model.graph->num_variables());
  init_uniform(chains, model, 2);
  require_positive_probability(chains, model);
  sampler.reset(chains);
  const SweepStats stats = sampler.advance(chains, 0, steps, /*rescore=*/true);
  EXPECT_GT(stats.accepted, steps / 10) << what;  // the chains did move
  for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
    const std::vector<double> full = sampler.recomputed_scores(chains.chain(b));
    const std::span<const double> kept = sampler.scores(b);
    ASSERT_EQ(full.size(), kept.size());
    double weights = 0.0;
    for (std::size_t s = 0; s < full.size(); ++s) {
      if (tolerance == 0.0) {
        ASSERT_EQ(kept[s], full[s]) << what << " slot " << s;
      } else {
        ASSERT_NEAR(kept[s], full[s], tolerance * (1 + std::abs(full[s]))) << what << " slot " << s;
      }
      weights += std::exp(0.5 * full[s] - sampler.proposal_shift(b));
    }
    EXPECT_NEAR(sampler.proposal_total(b), weights, 1e-9 * weights) << what;
  }
}

TEST(IncrementalScores, EqualFullRecomputationAfterThousandsOfMoves) {
  // Integer couplings on the fast path: every field is a sum of integers, exact.
  const auto ising = testing::compile_text(R"(
      variables { name: "s" shape: [12, 12] cardinality: 2 }
      parameters { name: "J" value: 0.25 }
      parameters { name: "h" shape: [144] init { rademacher: 1 } }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" periodic: true } }
      factors { name: "u" unary { field: "h" } each: "s" })");
  GwgParams fast;
  expect_incremental_equals_full(ising, fast, 5000, 0.0, "integer ising, fast path");
  GwgParams multi = fast;
  multi.num_flips = 3;
  expect_incremental_equals_full(ising, multi, 3000, 0.0, "integer ising, 3 flips");
  // Real couplings, fast path: additions in another order, within rounding.
  const TestModel real = compile_random(testing::binary_pairwise_options(4, 12));
  expect_incremental_equals_full(real.model, fast, 5000, 1e-9, "real binary pairwise, fast");
  // Generic path (recomputed from the factors, so exact whatever the numbers): categorical
  // Potts lattice with 3-variable tables, and soft mixed kinds.
  const auto potts = testing::compile_text(R"(
      variables { name: "x" shape: [8, 8] cardinality: 4 }
      parameters { name: "J" value: 0.6 }
      parameters { name: "U" shape: [64, 4] init { normal { stddev: 0.7 } } }
      parameters { name: "T" shape: [4, 4, 4] init { normal { stddev: 0.5 } } }
      factors { name: "p" potts { coupling: "J" } lattice { group: "x" } }
      factors { name: "u" unary { log_potentials: "U" } each: "x" }
      factors { name: "t" table { log_potentials: "T" } scope: "x[0,0] x[0,1] x[1,0]"
                scope: "x[3,3] x[4,4] x[5,5]" })");
  GwgParams generic;
  expect_incremental_equals_full(potts, generic, 5000, 0.0, "categorical potts, generic");
  generic.num_flips = 2;
  expect_incremental_equals_full(potts, generic, 3000, 0.0, "categorical potts, 2 flips");
  GwgParams generic_binary;
  generic_binary.common.generic_only = true;
  expect_incremental_equals_full(real.model, generic_binary, 5000, 0.0, "binary, generic");
}

// ---------------------------------------------------------------------------------------
// Statistical exactness
// ---------------------------------------------------------------------------------------

// One model of each kind of gradient_test::exactness_pool(); gradient_slow_test runs all of
// them (and the generic path, gwg-3 and dmala with a large step).
TEST(Exactness, Gwg) {
  gradient_test::expect_exact({"gwg"}, gradient_test::exactness_pool(), 100, kUnitModels);
}
TEST(Exactness, GwgTwoFlips) {
  gradient_test::expect_exact({"gwg", 2}, gradient_test::exactness_pool(), 300, kUnitModels);
}
TEST(Exactness, Dmala) {
  gradient_test::expect_exact({"dmala"}, gradient_test::exactness_pool(), 500, kUnitModels);
}

TEST(Exactness, WrongReverseTermFailsTheSameCheck) {
  constexpr std::size_t kModels[] = {0, 1, 4};
  gradient_test::expect_wrong_reverse_fails(gradient_test::exactness_pool(), kModels);
}

// ---------------------------------------------------------------------------------------
// RBM visible marginal
// ---------------------------------------------------------------------------------------

TEST(RbmMarginal, ExactAgainstEnumerationWithBothScoreKinds) {
  constexpr std::uint64_t kSeeds[] = {0, 5};  // 5: two visible units clamped
  EXPECT_EQ(gradient_test::expect_rbm_marginal_exact(kSeeds), 8);
}

// The cached scores and pre-activations of the batched path against a scalar computation per
// chain from the chain's visible states (libm's exp and log1p), on a tiny RBM and on a wide
// one whose Σ_j softplus spans three of the path's 512-term log-product blocks. The exact
// scores are differences of those sums (vectorised exponentials, one log per block), so they
// pin the target f(v') − f(v) of the MH test as well.
void expect_batched_scores_equal_scalar(const TestModel& t) {
  SCOPED_TRACE(t.description);
  const RbmLayout layout = *rbm_layout(t.model);
  const engine::Graph& g = *t.model.graph;
  const auto& block = g.blocks[static_cast<std::size_t>(layout.block)];
  const double* w = t.model.params.values.data() + block.param_offset;
  const std::vector<double> bias = rbm_bias_log_odds(t.model);
  const std::int32_t nv = layout.num_visible, nh = layout.num_hidden;
  auto softplus = [](double a) { return std::max(a, 0.0) + std::log1p(std::exp(-std::abs(a))); };
  auto f = [&](const std::vector<int>& v) {  // log p(v) + const, hidden summed out
    double sum = 0.0;
    for (std::int32_t i = 0; i < nv; ++i) sum += bias[layout.visible_begin + i] * v[i];
    for (std::int32_t j = 0; j < nh; ++j) {
      double a = bias[layout.hidden_begin + j];
      for (std::int32_t i = 0; i < nv; ++i) a += w[i * nh + j] * v[i];
      sum += softplus(a);
    }
    return sum;
  };
  for (RbmScores kind : {RbmScores::kFirstOrder, RbmScores::kExact})
    for (auto method : {RbmMarginalSampler::Method::kGwg, RbmMarginalSampler::Method::kDmala}) {
      RbmMarginalSampler::Settings settings;
      settings.method = method;
      settings.scores = kind;
      RbmMarginalSampler sampler(t.model, layout, settings, 9);
      Chains chains(5, g.num_variables());
      init_uniform(chains, t.model, 1);
      sampler.reset(chains);
      for (std::int64_t s = 0; s < 7; ++s) sampler.sweep(chains, s);
      const RbmMarginalSampler::MatrixD pre = sampler.preactivations(), scores = sampler.scores();
      for (std::int32_t b = 0; b < 5; ++b) {
        std::vector<int> v(static_cast<std::size_t>(nv));
        for (std::int32_t i = 0; i < nv; ++i) v[i] = chains.chain(b)[layout.visible_begin + i];
        for (std::int32_t j = 0; j < nh; ++j) {
          double a = bias[layout.hidden_begin + j];
          for (std::int32_t i = 0; i < nv; ++i) a += w[i * nh + j] * v[i];
          EXPECT_NEAR(pre(b, j), a, 1e-12);
        }
        for (std::int32_t i = 0; i < nv; ++i) {
          const double s = 1 - 2 * v[i];
          double expected;
          if (kind == RbmScores::kExact) {
            auto y = v;
            y[i] = 1 - y[i];
            expected = f(y) - f(v);
          } else {
            double grad = bias[layout.visible_begin + i];
            for (std::int32_t j = 0; j < nh; ++j) {
              double a = bias[layout.hidden_begin + j];
              for (std::int32_t k = 0; k < nv; ++k) a += w[k * nh + j] * v[k];
              grad += w[i * nh + j] / (1.0 + std::exp(-a));
            }
            expected = s * grad;
          }
          const double tol = kind == RbmScores::kExact ? 1e-12 : 1e-5;  // float product
          EXPECT_NEAR(scores(b, i), expected, tol * (1 + std::abs(expected)))
              << "chain " << b << " unit " << i;
        }
      }
    }
}

// The float products cannot hold a finite weight beyond ±3.4e38: refresh_parameters refuses it
// by name (it became ±inf, and inf − inf a NaN score, silently).
TEST(RbmMarginal, RefusesAWeightBeyondFloatRange) {
  TestModel t = gradient_test::tiny_rbm(3, false);
  const RbmLayout layout = *rbm_layout(t.model);
  RbmMarginalSampler sampler(t.model, layout, RbmMarginalSampler::Settings{}, 9);
  const factors::FactorBlock& block = t.model.graph->blocks[static_cast<std::size_t>(layout.block)];
  t.model.params.values[static_cast<std::size_t>(block.param_offset + 1)] = -1e39;
  try {
    sampler.refresh_parameters();
    ADD_FAILURE() << "a weight of -1e39 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight 0,1"), std::string::npos) << e.what();
  }
  t.model.params.values[static_cast<std::size_t>(block.param_offset + 1)] = -3e38;
  EXPECT_NO_THROW(sampler.refresh_parameters());
}

TEST(RbmMarginal, BatchedScoresEqualAScalarComputation) {
  expect_batched_scores_equal_scalar(gradient_test::tiny_rbm(3, false));
  const TestModel wide{testing::compile_text(R"(
      variables { name: "v" shape: [4] cardinality: 2 }
      variables { name: "h" shape: [1100] cardinality: 2 }
      parameters { name: "W" shape: [4, 1100] init { normal { stddev: 1.5 } seed: 3 } }
      parameters { name: "b" shape: [4] init { normal { stddev: 0.5 } seed: 4 } }
      parameters { name: "c" shape: [1100] init { normal { stddev: 2 } seed: 5 } }
      factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } }
      factors { name: "vb" unary { log_odds: "b" } each: "v" }
      factors { name: "hb" unary { log_odds: "c" } each: "h" })"),
                       {},
                       "wide rbm 4 x 1100"};
  expect_batched_scores_equal_scalar(wide);
}

// ---------------------------------------------------------------------------------------
// Hard constraints, evidence
// ---------------------------------------------------------------------------------------

class StateGuard : public RunObserver {
 public:
  explicit StateGuard(const engine::CompiledModel& m) : model_(m) {}
  bool on_sweep(std::int64_t, const Chains& chains, const SweepStats&) override {
    for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
      const auto x = chains.chain(b);
      for (std::int32_t v = 0; v < chains.num_variables(); ++v)
        if (model_.evidence[v] != engine::kFree && x[v] != model_.evidence[v]) ++moved_clamped;
      invalid += !(engine::total_log_potential(model_, x) > -kInf);
    }
    return true;
  }
  std::int64_t moved_clamped = 0, invalid = 0;

 private:
  const engine::CompiledModel& model_;
};

TEST(HardConstraints, ChainsStartedInAValidStateStayValidAndClampedVariablesNeverMove) {
  std::vector<TestModel> models;
  for (std::uint64_t s = 0; s < 12; ++s) {
    testing::RandomModelOptions o =
        s % 2 ? testing::logical_options(s, 8) : testing::with_evidence_options(s);
    o.kinds.enumeration = o.kinds.enumeration || s % 4 == 0;
    o.hard_zero_probability = s % 3 == 0 ? 0.3 : 0.0;
    models.push_back(compile_random(o, /*hard=*/true));
  }
  const Spec specs[] = {{"gwg"}, {"gwg", 3}, {"dmala", 0, false, 1.0}, {"dula", 0, false, 1.0}};
  for (const Spec& spec : specs)
    for (const TestModel& t : models) {
      auto sampler = make(spec, t.model, 3);
      Chains chains = initial_chains(t, 16, 1);
      StateGuard guard(t.model);
      RunObserver* observers[] = {&guard};
      RunOptions run;
      run.sweeps = 200;
      const RunSummary summary = run_sampler(*sampler, chains, run, observers);
      EXPECT_EQ(guard.invalid, 0) << spec.label() << " " << t.description;
      EXPECT_EQ(guard.moved_clamped, 0) << spec.label() << " " << t.description;
      EXPECT_LE(summary.totals.accepted, summary.totals.proposals);
    }
}

// ---------------------------------------------------------------------------------------
// Fast against generic, determinism
// ---------------------------------------------------------------------------------------

// Same seed, fast and generic scores: the same proposals and decisions (the scores differ by
// rounding only), so the same chains.
TEST(FastPath, SameChainsAsTheGenericPath) {
  for (std::uint64_t s = 0; s < 6; ++s) {
    const TestModel t = compile_random(testing::binary_pairwise_options(s, 10));
    for (const char* name : {"gwg", "dmala"}) {
      Spec fast{name}, generic{name};
      generic.generic_only = true;
      auto a_sampler = make(fast, t.model, 21), b_sampler = make(generic, t.model, 21);
      Chains a = initial_chains(t, 16, 2), b = a;
      a_sampler->reset(a);
      b_sampler->reset(b);
      for (std::int64_t sweep = 0; sweep < 100; ++sweep) {
        a_sampler->sweep(a, sweep);
        b_sampler->sweep(b, sweep);
      }
      EXPECT_TRUE(std::equal(a.states().begin(), a.states().end(), b.states().begin()))
          << name << " " << t.description;
    }
  }
}

std::vector<std::int32_t> run_with_threads(const Spec& spec, const TestModel& t, int threads,
                                           std::uint64_t seed, std::int32_t num_chains) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  auto sampler = make(spec, t.model, seed);
  Chains chains = initial_chains(t, num_chains, 3);
  sampler->reset(chains);
  for (std::int64_t s = 0; s < 10; ++s) sampler->sweep(chains, s);
  return {chains.states().begin(), chains.states().end()};
}

TEST(Determinism, SameSamplesWithOneTwoAndFourThreads) {
  const TestModel potts{testing::compile_text(R"(
      variables { name: "x" shape: [8, 8] cardinality: 3 }
      parameters { name: "J" value: 0.4 }
      parameters { name: "U" shape: [64, 3] init { normal { stddev: 0.5 } } }
      factors { name: "p" potts { coupling: "J" } lattice { group: "x" } }
      factors { name: "u" unary { log_potentials: "U" } each: "x" })"),
                        {},
                        "potts lattice"};
  const TestModel ising{testing::compile_text(R"(
      variables { name: "s" shape: [8, 8] cardinality: 2 }
      parameters { name: "J" value: 0.44 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" periodic: true } })"),
                        {},
                        "ising lattice"};
  const TestModel rbm = compile_random(testing::rbm_options(4, 8, 6));
  // Large enough (40 chains × 64 × 64) for the RBM path's products and chain loops to run in
  // parallel (rbm_marginal.cc: kParallelWork, kParallelUnits).
  const TestModel wide_rbm{testing::compile_text(R"(
      variables { name: "v" shape: [64] cardinality: 2 }
      variables { name: "h" shape: [64] cardinality: 2 }
      parameters { name: "W" shape: [64, 64] init { normal { stddev: 0.2 } seed: 8 } }
      parameters { name: "b" shape: [64] init { normal { stddev: 0.5 } seed: 9 } }
      factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } }
      factors { name: "b" unary { log_odds: "b" } each: "v" })"),
                           {},
                           "64x64 rbm"};
  const Spec specs[] = {{"gwg"}, {"gwg", 2}, {"dmala"}, {"dula"}};
  for (const Spec& spec : specs)
    for (const TestModel* t : {&potts, &ising, &rbm, &wide_rbm}) {
      const auto one = run_with_threads(spec, *t, 1, 5, 40);
      EXPECT_EQ(one, run_with_threads(spec, *t, 2, 5, 40)) << spec.label() << " " << t->description;
      EXPECT_EQ(one, run_with_threads(spec, *t, 4, 5, 40)) << spec.label() << " " << t->description;
      EXPECT_NE(one, run_with_threads(spec, *t, 2, 6, 40))
          << spec.label() << " " << t->description << ": seeds 5 and 6 agree";
      if (t != &rbm && t != &wide_rbm) {  // factor-graph paths: a chain does not depend on the
                                          // other chains
        const auto few = run_with_threads(spec, *t, 2, 5, 7);
        EXPECT_TRUE(std::equal(few.begin(), few.end(), one.begin()))
            << spec.label() << " " << t->description;
      }
    }
}

// ---------------------------------------------------------------------------------------
// Registry, statistics, settings
// ---------------------------------------------------------------------------------------

// Settings that would hang (huge num_flips) or silently freeze the chains (α whose 1/α
// overflows) are errors on both paths (factor graph and RBM marginal); so are chains started
// in a zero-probability state, and log-potentials that overflow, instead of a chain that
// never moves.
TEST(Registry, SettingsAndStatesThatWouldFreezeAreErrors) {
  const engine::CompiledModel chain = testing::compile_text(R"(
      variables { name: "x" shape: [4] cardinality: 2 }
      parameters { name: "J" value: 0.3 }
      factors { name: "c" ising { coupling: "J" } lattice { group: "x" } })");
  const engine::CompiledModel rbm = testing::compile_text(R"(
      variables { name: "v" shape: [5] cardinality: 2 }
      variables { name: "h" shape: [3] cardinality: 2 }
      parameters { name: "W" shape: [5, 3] init { normal { stddev: 0.5 } seed: 2 } }
      parameters { name: "b" shape: [5] value: [0.1, -0.2, 0.3, 0, 0.5] }
      factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } }
      factors { name: "b" unary { log_odds: "b" } each: "v" })");
  for (const engine::CompiledModel* m : {&chain, &rbm}) {
    proto::SamplerConfig config;
    config.mutable_gwg()->set_num_flips(100000000);
    EXPECT_THROW(
        make_sampler("gwg", std::make_shared<const dgm::engine::CompiledModel>(*m), config, 1),
        Error);
    for (const double alpha : {std::numeric_limits<double>::infinity(), 1e-320, -0.1}) {
      proto::SamplerConfig dmala;
      dmala.mutable_dmala()->set_step_size(alpha);
      EXPECT_THROW(
          make_sampler("dmala", std::make_shared<const dgm::engine::CompiledModel>(*m), dmala, 1),
          Error)
          << alpha;
      proto::SamplerConfig dula;
      dula.mutable_dula()->set_step_size(alpha);
      EXPECT_THROW(
          make_sampler("dula", std::make_shared<const dgm::engine::CompiledModel>(*m), dula, 1),
          Error)
          << alpha;
    }
  }
  // An OR constraint violated by the start (a = b = 0, c = 1).
  const engine::CompiledModel logic = testing::compile_text(R"(
      variables { name: "a" cardinality: 2 }
      variables { name: "b" cardinality: 2 }
      variables { name: "c" cardinality: 2 }
      factors { name: "or" logical_or { parents: "a b" child: "c" } })");
  for (const char* name : {"gwg", "dmala", "dula"}) {
    auto sampler = make_sampler(name, std::make_shared<const dgm::engine::CompiledModel>(logic),
                                proto::SamplerConfig(), 1);
    Chains chains(2, 3);
    chains.chain(0)[2] = 1;
    chains.chain(1)[2] = 1;
    EXPECT_THROW(sampler->reset(chains), Error) << name;
  }
  // Log-potentials whose differences overflow: +inf flip scores. The compiler refuses such a
  // model (engine/numeric_range.h; tests/inference/numeric_range_test.cc), so the numbers are
  // put in behind its back here to test the samplers' own guard.
  engine::CompiledModel huge = testing::compile_text(R"(
      variables { name: "x" shape: [2] cardinality: 2 }
      parameters { name: "t" shape: [2, 2] value: [-1, 1, 1, -1] }
      factors { name: "p" pairwise { log_potentials: "t" } scope: "x[0] x[1]" })");
  huge.params.values = {-1e308, 1e308, 1e308, -1e308};
  for (const char* name : {"gwg", "dmala"}) {
    auto sampler = make_sampler(name, std::make_shared<const dgm::engine::CompiledModel>(huge),
                                proto::SamplerConfig(), 1);
    Chains chains(1, 2);  // (0, 0): f = −1e308 is finite, but flipping x[1] gains 2e308 = +inf
    try {
      sampler->reset(chains);
      sampler->sweep(chains, 0);
      ADD_FAILURE() << name << ": no error";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("+inf or NaN")) << name;
    }
  }
}

TEST(Registry, NamesSettingsAndStats) {
  std::vector<std::string> names;
  for (const SamplerInfo& info : sampler_registry()) names.push_back(info.name);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"gwg", "dula", "dmala"}));
  const auto m = testing::compile_text(R"(variables { name: "x" shape: [5] cardinality: 3 }
      parameters { name: "J" value: 0.3 }
      factors { name: "p" potts { coupling: "J" } lattice { group: "x" } }
      evidence { variable: "x[2]" value: 1 })");
  for (const Spec& spec : {Spec{"gwg"}, Spec{"gwg", 2}, Spec{"dmala"}, Spec{"dula"}}) {
    auto sampler = make(spec, m, 1);
    EXPECT_EQ(sampler->name(), spec.name);
    EXPECT_EQ(sampler->has_acceptance(), spec.name != "dula");
    Chains chains(6, 5);
    init_uniform(chains, m, 2);
    sampler->reset(chains);
    const SweepStats stats = sampler->sweep(chains, 0);
    // gwg: N/n proposals of ≤ n variables per chain (4 free); dlp: one step per chain.
    const std::int64_t per_chain = spec.name == "gwg" ? 4 / std::max(1, spec.num_flips) : 1;
    EXPECT_EQ(stats.proposals, 6 * per_chain) << spec.label();
    EXPECT_LE(stats.accepted, stats.proposals);
    EXPECT_GE(stats.accepted, 1) << spec.label();
    Chains wrong(2, 4);
    EXPECT_THROW(sampler->sweep(wrong, 1), Error) << spec.label();
  }
  proto::SamplerConfig config;
  config.mutable_gwg()->set_num_flips(-1);
  EXPECT_THROW(
      make_sampler("gwg", std::make_shared<const dgm::engine::CompiledModel>(m), config, 1), Error);
  config.mutable_dmala()->set_step_size(-0.5);
  EXPECT_THROW(
      make_sampler("dmala", std::make_shared<const dgm::engine::CompiledModel>(m), config, 1),
      Error);
  EXPECT_THROW(
      make_sampler("gwg", std::make_shared<const dgm::engine::CompiledModel>(m), config, 1),
      Error);  // dmala settings for gwg
  // RBM-shaped models take the marginal path unless asked for the joint.
  const TestModel rbm = compile_random(testing::rbm_options(1, 4, 3));
  EXPECT_NE(dynamic_cast<RbmMarginalSampler*>(make({"gwg"}, rbm.model, 1).get()), nullptr);
  Spec joint{"gwg"};
  joint.joint = true;
  EXPECT_NE(dynamic_cast<GwgSampler*>(make(joint, rbm.model, 1).get()), nullptr);
}

}  // namespace
}  // namespace dgm::inference
