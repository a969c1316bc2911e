// The Gibbs family: the generic conditional against brute force, the binary pairwise fast path
// against the generic path (its algebra, its log-odds, its chains), statistical exactness of
// gibbs, random-scan-gibbs, chromatic-gibbs and block-gibbs against enumeration (single-site
// and pairwise marginals, with and without evidence, ergodic hard constraints), a wrong
// conditional failing the same check, determinism across thread counts, evidence and hard
// constraints respected, and the registry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "factors/factor_eval.h"
#include "inference/gibbs/binary_batch.h"
#include "inference/gibbs/block_gibbs.h"
#include "inference/gibbs/chromatic_gibbs.h"
#include "inference/gibbs/gibbs_sampler.h"
#include "inference/gibbs/translation_runs.h"
#include "inference/model_views/binary_pairwise.h"
#include "inference/model_views/conditional.h"
#include "inference/sampling/draw.h"
#include "inference/sampling/run.h"
#include "tests/inference/gibbs_test_util.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using gibbs_test::compile_random;
using gibbs_test::initial_chains;
using gibbs_test::make;
using gibbs_test::registry_name;
using gibbs_test::TestModel;
using gibbs_test::Variant;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Settings of the statistical checks in this (unit) file: 64 chains, 200 + 2000 sweeps.
constexpr std::int32_t kChains = 64;
testing::SamplingCheckOptions check_options(const engine::Graph& g) {
  testing::SamplingCheckOptions o;
  o.burn_in = 200;
  o.sweeps = 2000;
  o.pairs = gibbs_test::some_pairs(g);
  return o;
}

// Runs `variant` on `t` and checks its marginals against `reference` (t's own model unless a
// test passes another).
testing::SamplingCheckResult run_check(Variant variant, const TestModel& t,
                                       const engine::CompiledModel& sampled, std::uint64_t seed,
                                       bool generic_only = false) {
  auto sampler = make(variant, sampled, seed, generic_only);
  Chains chains = initial_chains(t, kChains, seed);
  return testing::check_marginals(*sampler, chains, t.model, check_options(*t.model.graph));
}

// The message of the dgm::Error `f` throws, or "" (a failure) when it throws none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no dgm::Error thrown";
  return "";
}

std::vector<std::int32_t> random_state(const engine::Graph& g, std::mt19937_64& rng) {
  std::vector<std::int32_t> x(static_cast<std::size_t>(g.num_variables()));
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    x[v] = std::uniform_int_distribution<std::int32_t>(0, g.cardinality[v] - 1)(rng);
  return x;
}

// Σ over the factors whose scope holds v (found by scanning every scope, not the adjacency)
// of θ_f(x with x_v = k), by the factors' own generic evaluation.
double oracle_conditional(const engine::CompiledModel& m, std::vector<std::int32_t> x,
                          std::int32_t v, std::int32_t k) {
  const engine::Graph& g = *m.graph;
  x[v] = k;
  double total = 0.0;
  std::vector<std::int32_t> states;
  for (const auto& block : g.blocks)
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      const auto scope = g.scope(block.first_factor + r);
      if (std::find(scope.begin(), scope.end(), v) == scope.end()) continue;
      states.clear();
      for (std::int32_t u : scope) states.push_back(x[u]);
      total += factors::log_potential(block, r, m.params.values, g.enum_configs, states);
    }
  return total;
}

// ---------------------------------------------------------------------------------------
// Drawing from a conditional
// ---------------------------------------------------------------------------------------

TEST(Draw, BinaryRuleHandlesInfinities) {
  EXPECT_EQ(draw_binary(kInf, 1.0), 1);
  EXPECT_EQ(draw_binary(kInf, 1e-300), 1);
  EXPECT_EQ(draw_binary(-kInf, 1e-300), 0);
  EXPECT_EQ(draw_binary(-kInf, 1.0), 0);
  EXPECT_EQ(draw_binary(0.0, 0.5), 1);  // u ≤ σ(0) = 1/2
  EXPECT_EQ(draw_binary(0.0, 0.5000001), 0);
}

TEST(Draw, InverseCdfMatchesSoftmaxAndNeverDrawsImpossibleStates) {
  const std::vector<double> logp = {-kInf, 0.3, -kInf, 1.2, -0.5};
  double total = 0.0;
  for (double l : logp) total += std::exp(l);
  std::vector<double> counts(logp.size(), 0.0);
  const int n = 200000;
  for (int i = 1; i <= n; ++i) {  // u on a fine grid of (0, 1]
    std::vector<double> scratch = logp;
    const std::int32_t k = draw_from_log_probabilities(scratch, static_cast<double>(i) / n, 4);
    counts[k] += 1.0;
  }
  for (std::size_t k = 0; k < logp.size(); ++k)
    EXPECT_NEAR(counts[k] / n, std::exp(logp[k]) / total, 2.0 / n) << "state " << k;
  std::vector<double> none = {-kInf, -kInf, -kInf};
  EXPECT_EQ(draw_from_log_probabilities(none, 0.5, 2), 2);  // keeps the current state
  std::vector<double> binary = {-kInf, -kInf};
  EXPECT_EQ(draw_from_log_probabilities(binary, 0.5, 1), 1);
  std::vector<double> only_last = {-kInf, -kInf, 5.0};
  EXPECT_EQ(draw_from_log_probabilities(only_last, 1e-300, 0), 2);
}

// ---------------------------------------------------------------------------------------
// The generic conditional
// ---------------------------------------------------------------------------------------

TEST(Conditional, MatchesBruteForceOnEveryFactorKind) {
  std::mt19937_64 rng(5);
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    testing::RandomModelOptions o = seed % 3 == 0   ? testing::mixed_options(seed)
                                    : seed % 3 == 1 ? testing::with_evidence_options(seed)
                                                    : testing::soft_options(seed, 7, 4);
    if (seed % 5 == 0) o.hard_zero_probability = 0.3;
    const TestModel t = compile_random(o);
    const engine::Graph& g = *t.model.graph;
    const Conditional conditional(t.model);
    std::vector<double> out(static_cast<std::size_t>(conditional.max_cardinality()));
    for (int trial = 0; trial < 8; ++trial) {
      const std::vector<std::int32_t> x = trial == 0 ? t.witness : random_state(g, rng);
      for (std::int32_t v = 0; v < g.num_variables(); ++v) {
        conditional.log_probabilities(v, x, out);
        for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
          const double expected = oracle_conditional(t.model, x, v, k);
          if (std::isinf(expected)) {
            EXPECT_EQ(out[k], expected) << t.description << " v=" << v << " k=" << k;
          } else {
            EXPECT_NEAR(out[k], expected, 1e-12 * (1 + std::abs(expected)))
                << t.description << " v=" << v << " k=" << k;
          }
          ++checked;
        }
        // And as differences of the full log-potential, where it is finite.
        auto y = x;
        y[v] = 0;
        const double f0 = engine::total_log_potential(t.model, y);
        for (std::int32_t k = 1; k < g.cardinality[v] && std::isfinite(f0); ++k) {
          y[v] = k;
          const double fk = engine::total_log_potential(t.model, y);
          if (std::isfinite(fk)) {
            EXPECT_NEAR(out[k] - out[0], fk - f0, 1e-9) << t.description;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 5000);
}

TEST(Conditional, LargeSparseEnumerationUsesSortedIndex) {
  // A 3 × 2^21 table is too large for the dense row index; the sorted index must agree.
  const auto m = testing::compile_text(R"(
    variables { name: "a" cardinality: 3 }
    variables { name: "b" shape: [21] cardinality: 2 }
    parameters { name: "w" shape: [3] value: [0.5, -1.0, 2.0] }
    factors { name: "e" enumeration {
      configurations: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
                       1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
                       2,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]
      log_potentials: "w" }
      scope: "a b" })");
  const Conditional conditional(m);
  std::vector<double> out(3);
  std::vector<std::int32_t> x(22, 0);
  x[1] = 1;  // b[0] = 1, the rest 0: rows 1 (a = 1) only
  conditional.log_probabilities(0, x, out);
  EXPECT_EQ(out[0], -kInf);
  EXPECT_EQ(out[1], -1.0);
  EXPECT_EQ(out[2], -kInf);
  x[21] = 1;
  conditional.log_probabilities(0, x, out);
  EXPECT_EQ(out[1], -kInf);
  EXPECT_EQ(out[2], 2.0);
  x[0] = 2;
  conditional.log_probabilities(21, x, out);  // b[20] given a = 2, b[0] = 1
  EXPECT_EQ(out[0], -kInf);
  EXPECT_EQ(out[1], 2.0);
}

// ---------------------------------------------------------------------------------------
// The binary pairwise fast path
// ---------------------------------------------------------------------------------------

// Bias and coupling of the fast path for one two-variable model.
struct Affine {
  double bias_a, bias_b, coupling;
};
Affine affine_of(const std::string& factors_text) {
  const auto m = testing::compile_text(
      "variables { name: \"a\" cardinality: 2 }\n"
      "variables { name: \"b\" cardinality: 2 }\n" +
      factors_text);
  EXPECT_TRUE(BinaryPairwise::eligible(*m.graph));
  const BinaryPairwise fast(m);
  EXPECT_TRUE(fast.finite());
  return {fast.bias()[0], fast.bias()[1], fast.coupling().empty() ? 0.0 : fast.coupling()[0]};
}

TEST(BinaryPairwise, AlgebraOfEachParametrisation) {
  // Ising J·s_a·s_b: Δ_a = 2J·s_b = 4J·x_b − 2J.
  Affine f = affine_of(R"(parameters { name: "J" value: 0.7 }
      factors { name: "i" ising { coupling: "J" } scope: "a b" })");
  EXPECT_DOUBLE_EQ(f.coupling, 4 * 0.7);
  EXPECT_DOUBLE_EQ(f.bias_a, -2 * 0.7);
  EXPECT_DOUBLE_EQ(f.bias_b, -2 * 0.7);
  // Potts J·[x_a = x_b]: Δ_a = 2J·x_b − J.
  f = affine_of(R"(parameters { name: "J" value: -1.3 }
      factors { name: "p" potts { coupling: "J" } scope: "a b" })");
  EXPECT_DOUBLE_EQ(f.coupling, 2 * -1.3);
  EXPECT_DOUBLE_EQ(f.bias_a, 1.3);
  // 2×2 table M: W = M11 − M01 − M10 + M00, b_a = M10 − M00, b_b = M01 − M00.
  f = affine_of(R"(parameters { name: "M" shape: [2, 2] value: [0.1, -0.4, 0.9, 2.5] }
      factors { name: "t" pairwise { log_potentials: "M" } scope: "a b" })");
  EXPECT_DOUBLE_EQ(f.coupling, 2.5 - (-0.4) - 0.9 + 0.1);
  EXPECT_DOUBLE_EQ(f.bias_a, 0.9 - 0.1);
  EXPECT_DOUBLE_EQ(f.bias_b, -0.4 - 0.1);
  // Unaries: table t1 − t0, log-odds w, field 2h; all three on a.
  f = affine_of(R"(parameters { name: "t" shape: [2] value: [0.25, -0.5] }
      parameters { name: "w" value: 0.375 }
      parameters { name: "h" value: -0.125 }
      factors { name: "u1" unary { log_potentials: "t" } scope: "a" }
      factors { name: "u2" unary { log_odds: "w" } scope: "a" }
      factors { name: "u3" unary { field: "h" } scope: "b" })");
  EXPECT_DOUBLE_EQ(f.bias_a, -0.75 + 0.375);
  EXPECT_DOUBLE_EQ(f.bias_b, -0.25);
  // Bipartite weight w: θ = w·x_a·x_b.
  f = affine_of(R"(parameters { name: "W" shape: [1, 1] value: [1.75] }
      factors { name: "rbm" bipartite { left: "a" right: "b" weights: "W" } })");
  EXPECT_DOUBLE_EQ(f.coupling, 1.75);
  EXPECT_DOUBLE_EQ(f.bias_a, 0.0);
  // Two factors on one pair add up.
  f = affine_of(R"(parameters { name: "J" value: 0.5 }
      parameters { name: "K" value: 0.25 }
      factors { name: "i" ising { coupling: "J" } scope: "a b" }
      factors { name: "p" potts { coupling: "K" } scope: "b a" })");
  EXPECT_DOUBLE_EQ(f.coupling, 2.0 + 0.5);
  EXPECT_DOUBLE_EQ(f.bias_a, -1.0 - 0.25);
}

TEST(BinaryPairwise, Eligibility) {
  auto eligible = [](const std::string& text) {
    return BinaryPairwise::eligible(*testing::compile_text(text).graph);
  };
  EXPECT_FALSE(eligible(R"(variables { name: "x" shape: [2] cardinality: 3 }
      parameters { name: "J" value: 1 }
      factors { name: "p" potts { coupling: "J" } scope: "x[0] x[1]" })"));
  EXPECT_FALSE(eligible(R"(variables { name: "x" shape: [3] cardinality: 2 }
      parameters { name: "T" shape: [2, 2, 2] value: [0, 1, 2, 3, 4, 5, 6, 7] }
      factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1] x[2]" })"));
  EXPECT_FALSE(eligible(R"(variables { name: "x" shape: [3] cardinality: 2 }
      factors { name: "o" logical_or { parents: "x[0] x[1]" child: "x[2]" } })"));
  EXPECT_TRUE(eligible(R"(variables { name: "x" shape: [2] cardinality: 2 }
      parameters { name: "T" shape: [2, 2] value: [0, 1, 2, 3] }
      factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1]" })"));
  // A hard zero in a 2×2 table: eligible structure, but the numbers send the sampler to the
  // generic path.
  const auto hard = testing::compile_text(R"(variables { name: "x" shape: [2] cardinality: 2 }
      parameters { name: "T" shape: [2, 2] value: [0, -inf, 1, 2] }
      factors { name: "t" pairwise { log_potentials: "T" } scope: "x[0] x[1]" })");
  EXPECT_TRUE(BinaryPairwise::eligible(*hard.graph));
  EXPECT_FALSE(BinaryPairwise(hard).finite());
  GibbsSampler sampler(hard, {}, 1);
  EXPECT_FALSE(sampler.fast_path());
}

std::vector<TestModel> binary_models() {
  std::vector<TestModel> models;
  for (std::uint64_t s = 0; s < 10; ++s)
    models.push_back(compile_random(testing::binary_pairwise_options(s, 10)));
  for (std::uint64_t s = 0; s < 5; ++s)
    models.push_back(compile_random(testing::rbm_options(s, 5, 4)));
  for (std::uint64_t s = 0; s < 10; ++s) {  // every soft binary kind, tied and varied syntax
    testing::RandomModelOptions o = testing::soft_options(s, 9, 2);
    o.kinds.table = false;  // dense tables of arity 3 are not pairwise
    o.kinds.potts = true;
    o.evidence_probability = 0.5;
    models.push_back(compile_random(o));
  }
  return models;
}

TEST(BinaryPairwise, LogOddsEqualTheGenericConditional) {
  std::mt19937_64 rng(11);
  for (const TestModel& t : binary_models()) {
    const engine::Graph& g = *t.model.graph;
    ASSERT_TRUE(BinaryPairwise::eligible(g)) << t.description;
    const BinaryPairwise fast(t.model);
    ASSERT_TRUE(fast.finite());
    const Conditional generic(t.model);
    std::vector<double> out(2);
    for (int trial = 0; trial < 20; ++trial) {
      const auto x = random_state(g, rng);
      for (std::int32_t v = 0; v < g.num_variables(); ++v) {
        generic.log_probabilities(v, x, out);
        const double expected = out[1] - out[0];
        EXPECT_NEAR(fast.log_odds(v, x), expected, 1e-12 * (1 + std::abs(expected)))
            << t.description << " v=" << v;
      }
    }
  }
}

TEST(BinaryPairwise, ParametersAreReReadOnReset) {
  TestModel t = compile_random(testing::binary_pairwise_options(3, 8));
  auto fast = make(Variant::kSystematic, t.model, 9);
  auto generic = make(Variant::kSystematic, t.model, 9, /*generic_only=*/true);
  for (double& w : t.model.params.values) w *= -2.0;  // a learner's update
  Chains a = initial_chains(t, 8, 1), b = a;
  fast->reset(a);
  generic->reset(b);
  for (std::int64_t s = 0; s < 50; ++s) {
    fast->sweep(a, s);
    generic->sweep(b, s);
  }
  EXPECT_TRUE(std::equal(a.states().begin(), a.states().end(), b.states().begin()));
}

// Same seed, fast and generic paths: the same decisions from the same uniforms, so the same
// chains (they could differ only if a uniform fell within ~1e−16 of σ(Δ)).
TEST(BinaryPairwise, SameChainsAsTheGenericPath) {
  for (Variant variant : {Variant::kSystematic, Variant::kRandomScan, Variant::kChromatic}) {
    for (const TestModel& t : binary_models()) {
      auto fast = make(variant, t.model, 21);
      auto generic = make(variant, t.model, 21, /*generic_only=*/true);
      ASSERT_EQ(dynamic_cast<GibbsSampler*>(fast.get()) != nullptr
                    ? dynamic_cast<GibbsSampler*>(fast.get())->fast_path()
                    : dynamic_cast<ChromaticGibbsSampler*>(fast.get())->fast_path(),
                true);
      Chains a = initial_chains(t, 16, 2), b = a;
      fast->reset(a);
      generic->reset(b);
      for (std::int64_t s = 0; s < 100; ++s) {
        const SweepStats sa = fast->sweep(a, s), sb = generic->sweep(b, s);
        ASSERT_EQ(sa.changed, sb.changed) << registry_name(variant) << " " << t.description;
      }
      EXPECT_TRUE(std::equal(a.states().begin(), a.states().end(), b.states().begin()))
          << registry_name(variant) << " " << t.description;
    }
  }
  // block-gibbs on bipartite binary models that are not RBM-shaped (so both use the
  // chromatic code): a tree of Ising couplings.
  for (std::uint64_t s = 0; s < 5; ++s) {
    testing::RandomModelOptions o = testing::tree_options(s, 9, 2);
    const TestModel t = compile_random(o);
    auto fast = make(Variant::kBlock, t.model, 4);
    auto generic = make(Variant::kBlock, t.model, 4, true);
    ASSERT_TRUE(dynamic_cast<ChromaticGibbsSampler*>(fast.get())->fast_path());
    Chains a = initial_chains(t, 16, 2), b = a;
    for (std::int64_t sweep = 0; sweep < 100; ++sweep) {
      fast->sweep(a, sweep);
      generic->sweep(b, sweep);
    }
    EXPECT_TRUE(std::equal(a.states().begin(), a.states().end(), b.states().begin()))
        << t.description;
  }
}

// Binary lattices, the models whose colour classes are made of translation runs
// (inference/gibbs/translation_runs.h): periodic and open, 1-D and 2-D, with biases whose
// values change in the middle of runs (rows differ, so log_odds_run must stop there) and with
// clamped sites (which break the runs).
std::vector<TestModel> binary_lattices() {
  std::string biases;
  for (int i = 0; i < 16 * 24; ++i) biases += (i / 5) % 2 ? " 0.3," : " -0.7,";
  biases.pop_back();
  std::vector<TestModel> models;
  models.push_back({testing::compile_text(R"(
      variables { name: "s" shape: [16, 24] cardinality: 2 }
      parameters { name: "J" value: 0.44 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" periodic: true } })"),
                    {},
                    "periodic ising 16x24"});
  models.push_back({testing::compile_text(R"(
      variables { name: "s" shape: [16, 24] cardinality: 2 }
      parameters { name: "J" value: -0.3 }
      parameters { name: "b" shape: [384] value: [)" +
                                          biases + R"(] }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" } }
      factors { name: "u" unary { log_odds: "b" } each: "s" })"),
                    {},
                    "open ising 16x24, biases in stretches of 5"});
  models.push_back({testing::compile_text(R"(
      variables { name: "s" shape: [16, 24] cardinality: 2 }
      parameters { name: "J" value: 0.5 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" periodic: true } }
      evidence { variable: "s[3,4]" value: 1 }
      evidence { variable: "s[3,8]" value: 0 }
      evidence { variable: "s[10,11]" value: 1 })"),
                    {},
                    "periodic ising 16x24 with evidence"});
  models.push_back({testing::compile_text(R"(
      variables { name: "s" shape: [200] cardinality: 2 }
      parameters { name: "J" value: 0.8 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" periodic: true } })"),
                    {},
                    "periodic ising chain of 200"});
  return models;
}

// Every site i + t of the run from i is sites[i] + t·s with neighbours shifted by t·s, and the
// run cannot be extended; lattices' colour classes have long runs.
TEST(TranslationRuns, AreMaximalRunsOfShiftedNeighbourLists) {
  for (const TestModel& t : binary_lattices()) {
    const engine::Graph& g = *t.model.graph;
    std::vector<std::int32_t> sites;
    for (std::int32_t v = 0; v < g.num_variables(); ++v)
      if (g.analysis.colour[v] == 0) sites.push_back(v);
    const std::vector<std::int32_t> runs = translation_runs(g, sites);
    ASSERT_EQ(runs.size(), sites.size());
    auto shifted = [&](std::size_t i, std::size_t j) {
      const auto a = g.neighbours_of(sites[i]), b = g.neighbours_of(sites[j]);
      if (a.size() != b.size()) return false;
      for (std::size_t d = 0; d < a.size(); ++d)
        if (b[d] - a[d] != sites[j] - sites[i]) return false;
      return true;
    };
    std::int32_t longest = 0;
    for (std::size_t i = 0; i < sites.size(); ++i) {
      const std::int32_t r = runs[i];
      ASSERT_GE(r, 1);
      ASSERT_LE(i + r, sites.size());
      longest = std::max(longest, r);
      if (r == 1) {
        EXPECT_TRUE(i + 1 == sites.size() || !shifted(i, i + 1)) << t.description << " " << i;
        continue;
      }
      const std::int32_t stride = sites[i + 1] - sites[i];
      for (std::int32_t k = 1; k < r; ++k) {
        EXPECT_EQ(sites[i + k] - sites[i], k * stride) << t.description << " " << i;
        EXPECT_TRUE(shifted(i, i + k)) << t.description << " " << i << "+" << k;
      }
      const std::size_t end = i + r;
      EXPECT_TRUE(end == sites.size() || sites[end] - sites[i] != r * stride || !shifted(i, end))
          << t.description << ": the run from " << i << " could go on";
    }
    EXPECT_GE(longest, 8) << t.description;
  }
  // A chain 0–1–…–7 (open): the odd sites 1, 3, 5 have neighbours (v − 1, v + 1), site 7 only 6.
  const engine::CompiledModel chain = testing::compile_text(R"(
      variables { name: "s" shape: [8] cardinality: 2 }
      parameters { name: "J" value: 1 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" } })");
  const std::vector<std::int32_t> odd = {1, 3, 5, 7};
  EXPECT_EQ(translation_runs(*chain.graph, odd), (std::vector<std::int32_t>{3, 2, 1, 1}));
  EXPECT_TRUE(translation_runs(*chain.graph, {}).empty());
  EXPECT_EQ(translation_runs(*chain.graph, std::vector<std::int32_t>{4}),
            (std::vector<std::int32_t>{1}));
}

// Along a run, log_odds_run gives log_odds's numbers bit for bit, and stops where the row
// (the numbers) changes.
TEST(BinaryPairwise, LogOddsAlongATranslationRunEqualLogOdds) {
  std::mt19937_64 rng(5);
  for (const TestModel& t : binary_lattices()) {
    const engine::Graph& g = *t.model.graph;
    const BinaryPairwise pairwise(t.model);
    ASSERT_TRUE(pairwise.finite());
    std::vector<std::int32_t> sites;
    for (std::int32_t v = 0; v < g.num_variables(); ++v)
      if (g.analysis.colour[v] == 1) sites.push_back(v);
    const std::vector<std::int32_t> runs = translation_runs(g, sites);
    const auto x = random_state(g, rng);
    std::vector<double> out(sites.size());
    bool stopped_early = false;
    for (std::size_t i = 0; i < sites.size(); ++i) {
      if (runs[i] < 2) continue;
      const std::int64_t n =
          pairwise.log_odds_run(sites[i], sites[i + 1] - sites[i], runs[i], x, out.data());
      ASSERT_GE(n, 1);
      ASSERT_LE(n, runs[i]);
      stopped_early |= n < runs[i];
      for (std::int64_t k = 0; k < n; ++k)
        EXPECT_EQ(out[k], pairwise.log_odds(sites[i + k], x)) << t.description << " " << i;
      if (n < runs[i]) {  // it stopped at a site whose numbers differ
        EXPECT_NE(pairwise.bias()[sites[i + n]], pairwise.bias()[sites[i]]) << t.description;
      }
    }
    EXPECT_EQ(stopped_early, t.description.find("stretches") != std::string::npos) << t.description;
  }
}

// Chromatic Gibbs on lattices (through the translation runs) makes the generic path's chains.
TEST(BinaryPairwise, ChromaticOnLatticesMakesTheGenericChains) {
  for (const TestModel& t : binary_lattices()) {
    auto fast = make(Variant::kChromatic, t.model, 17);
    auto generic = make(Variant::kChromatic, t.model, 17, /*generic_only=*/true);
    ASSERT_TRUE(dynamic_cast<ChromaticGibbsSampler*>(fast.get())->fast_path());
    Chains a = initial_chains(t, 3, 4), b = a;
    for (std::int64_t s = 0; s < 60; ++s) {
      const SweepStats sa = fast->sweep(a, s), sb = generic->sweep(b, s);
      ASSERT_EQ(sa.changed, sb.changed) << t.description << " sweep " << s;
    }
    EXPECT_TRUE(std::equal(a.states().begin(), a.states().end(), b.states().begin()))
        << t.description;
  }
}

// The batched update of a colour class (vectorised exponential estimate, draw_binary only near
// the threshold) decides exactly as draw_binary, on log-odds from 0 to beyond the estimate's
// range and on uniforms read both for consecutive positions and one by one.
TEST(BinaryBatch, DecidesExactlyAsDrawBinary) {
  constexpr std::int32_t kN = 4096;
  engine::CompiledModel m = testing::compile_text(R"(
      variables { name: "x" shape: [4096] cardinality: 2 }
      parameters { name: "w" shape: [4096] init { normal { stddev: 1 } } }
      factors { name: "u" unary { log_odds: "w" } each: "x" })");
  ASSERT_EQ(m.params.values.size(), std::size_t{kN});
  const std::vector<double> extremes = {0.0,   1e-12,  -1e-3, 0.5,    -3.0,  20.0,   -36.0,  37.0,
                                        699.9, -700.0, 701.0, -745.0, 800.0, -1e308, 1.7e308};
  std::mt19937_64 gen(3);
  std::normal_distribution<double> spread(0.0, 4.0);
  for (std::int32_t v = 0; v < kN; ++v)
    m.params.values[v] = v < static_cast<std::int32_t>(extremes.size()) ? extremes[v] : spread(gen);
  const BinaryPairwise pairwise(m);
  ASSERT_TRUE(pairwise.finite());
  std::vector<std::int32_t> all(kN), even;
  std::vector<std::int64_t> consecutive(kN), strided;
  for (std::int32_t v = 0; v < kN; ++v) {
    all[v] = v;
    consecutive[v] = v;
    if (v % 2 == 0) {
      even.push_back(v);
      strided.push_back(3 * v + 1);
    }
  }
  for (const auto& [sites, positions] : {std::pair{&all, &consecutive}, std::pair{&even, &strided}})
    for (std::int64_t sweep = 0; sweep < 200; ++sweep) {
      std::vector<std::int32_t> x(kN, 0), expected(kN, 0);
      std::int64_t expected_changed = 0;
      SiteUniforms reference(11, 2, sweep);
      for (std::size_t k = 0; k < sites->size(); ++k) {
        const std::int32_t v = (*sites)[k];
        expected[v] = draw_binary(pairwise.log_odds(v, x), reference((*positions)[k]));
        expected_changed += expected[v];
      }
      SiteUniforms uniforms(11, 2, sweep);
      EXPECT_EQ(update_binary_batch(pairwise, *sites, {}, *positions, x, uniforms),
                expected_changed);
      ASSERT_EQ(x, expected) << "sweep " << sweep;
    }
}

// ---------------------------------------------------------------------------------------
// Statistical exactness
// ---------------------------------------------------------------------------------------

void expect_exact_on_pool(Variant variant, const std::vector<TestModel>& pool) {
  ASSERT_GE(pool.size(), 20u);
  double worst = 0.0;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    const TestModel& t = pool[i];
    const auto result = run_check(variant, t, t.model, 1000 + i);
    EXPECT_TRUE(result.passed) << registry_name(variant) << " on " << t.description << ": "
                               << result.summary();
    if (std::getenv("DGM_GIBBS_VERBOSE") != nullptr)
      std::printf("%s model %zu: %s\n", registry_name(variant), i, result.summary().c_str());
    worst = std::max(worst, result.worst_z);
  }
  ::testing::Test::RecordProperty("worst_z", std::to_string(worst));
  std::printf("%s: worst z %.2f over %zu models\n", registry_name(variant), worst, pool.size());
}

TEST(Exactness, SystematicScan) {
  expect_exact_on_pool(Variant::kSystematic, gibbs_test::general_pool());
}
TEST(Exactness, RandomScan) {
  expect_exact_on_pool(Variant::kRandomScan, gibbs_test::general_pool());
}
TEST(Exactness, Chromatic) {
  expect_exact_on_pool(Variant::kChromatic, gibbs_test::general_pool());
}
TEST(Exactness, Block) { expect_exact_on_pool(Variant::kBlock, gibbs_test::bipartite_pool()); }

TEST(Exactness, GenericPathOfBlockGibbsOnRbms) {
  std::vector<TestModel> pool;
  for (std::uint64_t s = 0; s < 4; ++s) {
    testing::RandomModelOptions o = testing::rbm_options(s + 50, 3, 4);
    o.evidence_probability = s % 2;
    pool.push_back(compile_random(o));
  }
  for (std::size_t i = 0; i < pool.size(); ++i) {
    const auto result = run_check(Variant::kBlock, pool[i], pool[i].model, 7 + i, true);
    EXPECT_TRUE(result.passed) << pool[i].description << ": " << result.summary();
  }
}

// The same check, with the same seeds, on samplers whose conditional is wrong: built on the
// model at temperature 1.3 (every log-potential divided by 1.3), or with the sign of one
// factor's numbers flipped. Every one must fail, else the bound is too loose to mean anything.
TEST(Exactness, WrongConditionalFailsTheSameCheck) {
  for (Variant variant : gibbs_test::kAllVariants) {
    const std::vector<TestModel> pool =
        variant == Variant::kBlock ? gibbs_test::bipartite_pool() : gibbs_test::general_pool();
    for (std::size_t i = 0; i < 6; ++i) {
      const TestModel& t = pool[i];
      engine::CompiledModel tempered = t.model;
      for (double& w : tempered.params.values) w /= 1.3;
      const auto hot = run_check(variant, t, tempered, 1000 + i);
      EXPECT_FALSE(hot.passed) << registry_name(variant) << " at T = 1.3 on " << t.description
                               << ": " << hot.summary();
      // The numbers of the last factor group with any (an interaction, not a unary, in every
      // model of the pools).
      engine::CompiledModel flipped = t.model;
      int param = -1;
      for (const auto& block : flipped.graph->blocks)
        if (block.param >= 0 && block.kind != factors::FactorKind::kUnary) param = block.param;
      ASSERT_GE(param, 0) << t.description;
      for (double& w : flipped.params.view(param)) w = -w;
      const auto sign = run_check(variant, t, flipped, 1000 + i);
      EXPECT_FALSE(sign.passed) << registry_name(variant) << " with a flipped factor on "
                                << t.description << ": " << sign.summary();
      if (std::getenv("DGM_GIBBS_VERBOSE") != nullptr)
        std::printf("%s model %zu: hot %.1f, flipped %.1f\n", registry_name(variant), i,
                    hot.worst_z, sign.worst_z);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------

std::vector<std::int32_t> run_with_threads(Variant variant, const TestModel& t, int threads,
                                           std::uint64_t seed, std::int32_t num_chains,
                                           bool generic_only) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
  auto sampler = make(variant, t.model, seed, generic_only);
  Chains chains = initial_chains(t, num_chains, 3);
  sampler->reset(chains);
  for (std::int64_t s = 0; s < 15; ++s) sampler->sweep(chains, s);
  return {chains.states().begin(), chains.states().end()};
}

TEST(Determinism, SameSamplesWithOneTwoAndFourThreads) {
  // 10×10 lattices (enough work per colour class for several tasks): categorical Potts for the
  // generic path, Ising for the fast path.
  const TestModel categorical{testing::compile_text(R"(
      variables { name: "x" shape: [10, 10] cardinality: 3 }
      parameters { name: "J" value: 0.4 }
      parameters { name: "U" shape: [100, 3] init { normal { stddev: 0.5 } } }
      factors { name: "p" potts { coupling: "J" } lattice { group: "x" } }
      factors { name: "u" unary { log_potentials: "U" } each: "x" })"),
                              {},
                              "potts lattice"};
  const TestModel ising{testing::compile_text(R"(
      variables { name: "s" shape: [10, 10] cardinality: 2 }
      parameters { name: "J" value: 0.44 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "s" periodic: true } })"),
                        {},
                        "ising lattice"};
  for (Variant variant : gibbs_test::kAllVariants)
    for (const TestModel* t : {&categorical, &ising})
      for (bool generic_only : {false, true}) {
        const auto one = run_with_threads(variant, *t, 1, 5, 40, generic_only);
        EXPECT_EQ(one, run_with_threads(variant, *t, 2, 5, 40, generic_only))
            << registry_name(variant) << " " << t->description;
        EXPECT_EQ(one, run_with_threads(variant, *t, 4, 5, 40, generic_only))
            << registry_name(variant) << " " << t->description;
        EXPECT_NE(one, run_with_threads(variant, *t, 2, 6, 40, generic_only))
            << registry_name(variant) << " " << t->description << ": seeds 5 and 6 agree";
        // A chain's trajectory does not depend on the other chains.
        const auto few = run_with_threads(variant, *t, 2, 5, 7, generic_only);
        EXPECT_TRUE(std::equal(few.begin(), few.end(), one.begin()))
            << registry_name(variant) << " " << t->description;
      }
}

// ---------------------------------------------------------------------------------------
// Evidence and hard constraints
// ---------------------------------------------------------------------------------------

// Checks after every sweep that clamped variables hold their evidence and that every chain's
// state has positive probability.
class StateGuard : public RunObserver {
 public:
  explicit StateGuard(const engine::CompiledModel& m) : model_(m) {}
  bool on_sweep(std::int64_t sweep, const Chains& chains, const SweepStats&) override {
    for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
      const auto x = chains.chain(b);
      for (std::int32_t v = 0; v < chains.num_variables(); ++v)
        if (model_.evidence[v] != engine::kFree && x[v] != model_.evidence[v]) ++moved_clamped;
      if (!(engine::total_log_potential(model_, x) > -kInf)) {
        if (invalid == 0)
          first_invalid = "chain " + std::to_string(b) + " after sweep " + std::to_string(sweep);
        ++invalid;
      }
    }
    return true;
  }
  std::int64_t moved_clamped = 0, invalid = 0;
  std::string first_invalid;

 private:
  const engine::CompiledModel& model_;
};

// Runs `variant` on 16 chains of `t` from its valid start with a StateGuard watching.
struct GuardedRun {
  StateGuard guard;
  RunSummary summary;
};
GuardedRun run_guarded(Variant variant, const TestModel& t, std::uint64_t seed,
                       std::int64_t sweeps) {
  auto sampler = make(variant, t.model, seed);
  Chains chains = initial_chains(t, 16, 1);
  GuardedRun out{StateGuard(t.model), {}};
  RunObserver* observers[] = {&out.guard};
  RunOptions run;
  run.sweeps = sweeps;
  out.summary = run_sampler(*sampler, chains, run, observers);
  return out;
}

TEST(Evidence, ClampedVariablesNeverMove) {
  std::vector<TestModel> models;
  for (std::uint64_t s = 0; s < 6; ++s)
    models.push_back(compile_random(testing::with_evidence_options(s)));
  for (std::uint64_t s = 0; s < 3; ++s) {
    testing::RandomModelOptions o = testing::rbm_options(s, 4, 3);
    o.evidence_probability = 1.0;
    o.max_evidence = 3;
    models.push_back(compile_random(o));
  }
  for (auto& t : models) t.hard = true;  // start at the witness: mixed models may be hard
  for (Variant variant : gibbs_test::kAllVariants)
    for (const TestModel& t : models) {
      if (variant == Variant::kBlock && !t.model.graph->analysis.bipartite) continue;
      ASSERT_GT(t.model.num_clamped(), 0);
      const GuardedRun r = run_guarded(variant, t, 17, 100);
      const StateGuard& guard = r.guard;
      const RunSummary& summary = r.summary;
      EXPECT_EQ(guard.moved_clamped, 0) << registry_name(variant) << " " << t.description;
      EXPECT_EQ(guard.invalid, 0) << registry_name(variant) << " " << t.description << ": "
                                  << guard.first_invalid;
      EXPECT_LE(summary.totals.changed, summary.totals.site_updates);
    }
}

TEST(Evidence, ConditionalMarginalsMatchExactInference) {
  std::vector<TestModel> models;
  for (std::uint64_t s = 30; s < 34; ++s) {
    testing::RandomModelOptions o = testing::soft_options(s, 7, 3);
    o.evidence_probability = 1.0;
    o.max_evidence = 3;
    models.push_back(compile_random(o));
  }
  for (Variant variant : {Variant::kSystematic, Variant::kRandomScan, Variant::kChromatic})
    for (std::size_t i = 0; i < models.size(); ++i) {
      const auto result = run_check(variant, models[i], models[i].model, 77 + i);
      EXPECT_TRUE(result.passed) << registry_name(variant) << " " << models[i].description << ": "
                                 << result.summary();
      // Exact marginals of clamped variables are one-hot; so must the estimates be.
      const engine::Graph& g = *models[i].model.graph;
      for (std::int32_t v = 0; v < g.num_variables(); ++v)
        if (models[i].model.evidence[v] != engine::kFree) {
          EXPECT_EQ(result.marginals[g.state_offset[v] + models[i].model.evidence[v]], 1.0);
        }
    }
}

TEST(HardConstraints, ChainsStartedInAValidStateStayValid) {
  std::vector<TestModel> models;
  for (std::uint64_t s = 0; s < 16; ++s) {
    testing::RandomModelOptions o =
        s % 2 ? testing::logical_options(s, 8) : testing::mixed_options(s);
    o.kinds.enumeration = o.kinds.enumeration || s % 4 == 0;
    o.hard_zero_probability = s % 3 == 0 ? 0.3 : 0.0;
    models.push_back(compile_random(o, /*hard=*/true));
  }
  for (Variant variant : gibbs_test::kAllVariants)
    for (const TestModel& t : models) {
      if (variant == Variant::kBlock && !t.model.graph->analysis.bipartite) continue;
      const StateGuard guard = run_guarded(variant, t, 3, 200).guard;
      EXPECT_EQ(guard.invalid, 0) << registry_name(variant) << " " << t.description << ": "
                                  << guard.first_invalid;
      EXPECT_EQ(guard.moved_clamped, 0);
    }
}

// ---------------------------------------------------------------------------------------
// Samplers, names and settings
// ---------------------------------------------------------------------------------------

TEST(Registry, GibbsFamilyNamesAndSettings) {
  std::vector<std::string> names;
  for (const SamplerInfo& info : sampler_registry()) names.push_back(info.name);
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"gibbs", "random-scan-gibbs", "chromatic-gibbs", "block-gibbs"}));
  const auto m = testing::compile_text(R"(variables { name: "x" shape: [4] cardinality: 2 }
      parameters { name: "J" value: 0.3 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "x" } })");
  proto::SamplerConfig config;
  EXPECT_EQ(make_sampler("gibbs", std::make_shared<const dgm::engine::CompiledModel>(m), config, 1)
                ->name(),
            "gibbs");
  EXPECT_EQ(make_sampler("random-scan-gibbs", std::make_shared<const dgm::engine::CompiledModel>(m),
                         config, 1)
                ->name(),
            "random-scan-gibbs");
  config.mutable_gibbs()->set_scan(proto::GibbsConfig::RANDOM);
  EXPECT_EQ(make_sampler("gibbs", std::make_shared<const dgm::engine::CompiledModel>(m), config, 1)
                ->name(),
            "random-scan-gibbs");
  EXPECT_THAT(error_of([&] {
                make_sampler("chromatic-gibbs",
                             std::make_shared<const dgm::engine::CompiledModel>(m), config, 1);
              }),
              HasSubstr("chromatic_gibbs"));
  EXPECT_EQ(make(Variant::kChromatic, m, 1)->name(), "chromatic-gibbs");
  EXPECT_EQ(make(Variant::kBlock, m, 1)->name(), "block-gibbs");
}

TEST(BlockGibbs, RejectsModelsThatAreNotBipartite) {
  const auto triangle = testing::compile_text(R"(variables { name: "x" shape: [3] cardinality: 2 }
      parameters { name: "J" value: 0.3 }
      factors { name: "i" ising { coupling: "J" } all_pairs: "x" })");
  EXPECT_THAT(error_of([&] { make(Variant::kBlock, triangle, 1); }),
              AllOf(HasSubstr("bipartite"), HasSubstr("chromatic-gibbs")));
}

TEST(ChromaticGibbs, RejectsAnImproperColouring) {
  const auto m = testing::compile_text(R"(variables { name: "x" shape: [3] cardinality: 2 }
      parameters { name: "J" value: 0.3 }
      factors { name: "i" ising { coupling: "J" } lattice { group: "x" } })");
  const std::vector<std::int32_t> colour = {0, 0, 1};
  EXPECT_THAT(error_of([&] { ChromaticGibbsSampler(m, colour, 2, false, 1, "test"); }),
              AllOf(HasSubstr("x[0]"), HasSubstr("x[1]"), HasSubstr("same colour")));
}

TEST(Samplers, SweepStatsCountFreeSiteUpdates) {
  const auto m = testing::compile_text(R"(variables { name: "x" shape: [5] cardinality: 3 }
      parameters { name: "J" value: 0.3 }
      factors { name: "p" potts { coupling: "J" } lattice { group: "x" } }
      evidence { variable: "x[2]" value: 1 })");
  for (Variant variant : gibbs_test::kAllVariants) {
    auto sampler = make(variant, m, 1);
    Chains chains(6, 5);
    init_uniform(chains, m, 2);
    sampler->reset(chains);
    const SweepStats stats = sampler->sweep(chains, 0);
    EXPECT_EQ(stats.site_updates, 6 * 4) << registry_name(variant);
    EXPECT_LE(stats.changed, stats.site_updates);
    EXPECT_GT(stats.changed, 0);
    EXPECT_EQ(stats.proposals, 0);
    EXPECT_FALSE(sampler->has_acceptance());
    Chains wrong(2, 4);
    EXPECT_THROW(sampler->sweep(wrong, 1), Error) << registry_name(variant);
  }
}

}  // namespace
}  // namespace dgm::inference
