// Heavier statistical checks of the Gibbs family (label "slow"): many more random models with
// long runs and a tighter error floor, lattices at the Ising critical coupling, the fast path
// against the generic path on a large lattice, and a wrong conditional only 10% off in
// temperature failing the long-run check.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/compiler.h"
#include "inference/gibbs/chromatic_gibbs.h"
#include "inference/gibbs/gibbs_sampler.h"
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

testing::SamplingCheckOptions long_run(const engine::Graph& g) {
  testing::SamplingCheckOptions o;
  o.burn_in = 500;
  o.sweeps = 10000;
  o.se_floor = 2e-4;
  o.pairs = gibbs_test::some_pairs(g);
  return o;
}

testing::SamplingCheckResult check(Variant variant, const TestModel& t,
                                   const engine::CompiledModel& sampled, std::uint64_t seed,
                                   const testing::SamplingCheckOptions& options) {
  auto sampler = make(variant, sampled, seed);
  Chains chains = initial_chains(t, 64, seed);
  return testing::check_marginals(*sampler, chains, t.model, options);
}

TEST(SlowExactness, ManyRandomModels) {
  std::vector<TestModel> models;
  for (std::uint64_t s = 200; models.size() < 50; ++s) {
    TestModel t =
        compile_random(s % 2 ? testing::with_evidence_options(s) : testing::mixed_options(s),
                       /*hard=*/true);  // start at the witness
    if (testing::num_positive_states(t.model) >= 2 && testing::single_site_connected(t.model))
      models.push_back(std::move(t));
  }
  for (std::uint64_t s = 0; s < 6; ++s) {
    testing::RandomModelOptions o = testing::categorical_options(300 + s, 5, 4);
    o.evidence_probability = 0.5;
    models.push_back(compile_random(o));
  }
  int block_models = 0;
  for (Variant variant : gibbs_test::kAllVariants) {
    double worst = 0.0;
    for (std::size_t i = 0; i < models.size(); ++i) {
      const TestModel& t = models[i];
      if (variant == Variant::kBlock && !t.model.graph->analysis.bipartite) continue;
      block_models += variant == Variant::kBlock;
      const auto result = check(variant, t, t.model, 500 + i, long_run(*t.model.graph));
      EXPECT_TRUE(result.passed) << registry_name(variant) << " on " << t.description << ": "
                                 << result.summary();
      worst = std::max(worst, result.worst_z);
    }
    std::printf("%s: worst z %.2f\n", registry_name(variant), worst);
  }
  EXPECT_GE(block_models, 5);
}

TEST(SlowExactness, LatticesAtTheCriticalCoupling) {
  const TestModel ising{testing::compile_text(R"(
      variables { name: "s" shape: [4, 4] cardinality: 2 }
      parameters { name: "J" value: 0.4407 }
      parameters { name: "h" value: 0.05 }
      factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" periodic: true } }
      factors { name: "field" unary { field: "h" } each: "s" })"),
                        {},
                        "4x4 periodic Ising"};
  const TestModel potts{testing::compile_text(R"(
      variables { name: "x" shape: [3, 3] cardinality: 3 }
      parameters { name: "J" value: 1.0 }
      parameters { name: "U" shape: [9, 3] init { normal { stddev: 0.3 } } }
      factors { name: "bonds" potts { coupling: "J" } lattice { group: "x" } }
      factors { name: "u" unary { log_potentials: "U" } each: "x" }
      evidence { variable: "x[1,1]" value: 2 })"),
                        {},
                        "3x3 Potts with evidence"};
  for (Variant variant : gibbs_test::kAllVariants)
    for (const TestModel* t : {&ising, &potts}) {
      testing::SamplingCheckOptions o = long_run(*t->model.graph);
      o.pairs = {{0, 1}, {0, 4}, {0, 5}, {2, 7}};
      const auto result = check(variant, *t, t->model, 9, o);
      EXPECT_TRUE(result.passed) << registry_name(variant) << " on " << t->description << ": "
                                 << result.summary();
    }
}

TEST(SlowExactness, TenPercentTemperatureErrorFails) {
  for (std::uint64_t s = 0; s < 4; ++s) {
    const TestModel t = compile_random(testing::soft_options(s, 6, 3));
    engine::CompiledModel tempered = t.model;
    for (double& w : tempered.params.values) w /= 1.1;
    for (Variant variant : {Variant::kSystematic, Variant::kChromatic}) {
      const auto result = check(variant, t, tempered, 31 + s, long_run(*t.model.graph));
      EXPECT_FALSE(result.passed) << registry_name(variant) << " at T = 1.1 on " << t.description
                                  << ": " << result.summary();
    }
  }
}

TEST(SlowFastPath, SameChainsAsTheGenericPathOnALargeLattice) {
  const auto m = testing::compile_text(R"(
      variables { name: "s" shape: [64, 64] cardinality: 2 }
      parameters { name: "J" shape: [8192] init { normal { stddev: 0.5 } } }
      parameters { name: "h" shape: [4096] init { normal { stddev: 0.5 } } }
      factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" periodic: true } }
      factors { name: "field" unary { field: "h" } each: "s" })");
  const TestModel t{m, {}, "64x64 spin glass"};
  for (Variant variant : gibbs_test::kAllVariants) {
    auto fast = make(variant, m, 3);
    auto generic = make(variant, m, 3, /*generic_only=*/true);
    Chains a = initial_chains(t, 16, 1), b = a;
    fast->reset(a);
    generic->reset(b);
    for (std::int64_t s = 0; s < 100; ++s) {
      fast->sweep(a, s);
      generic->sweep(b, s);
    }
    std::int64_t differ = 0;
    for (std::size_t i = 0; i < a.states().size(); ++i) differ += a.states()[i] != b.states()[i];
    EXPECT_EQ(differ, 0) << registry_name(variant);
  }
}

}  // namespace
}  // namespace dgm::inference
