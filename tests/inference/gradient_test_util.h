#pragma once
// Shared by the gradient-sampler tests (unit and slow): the samplers by name with their
// settings, the statistical check, the pool of models the exactness checks run on, and the
// checks themselves. The unit tests run each check on a few models of the pool
// (kUnitModels), the slow tests on all of them, with the same seeds and the same bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "dgm/sampler.pb.h"
#include "inference/builtin_samplers.h"
#include "inference/gibbs/rbm_block_gibbs.h"
#include "inference/gradient/dlp_sampler.h"
#include "inference/gradient/gwg_sampler.h"
#include "inference/gradient/rbm_marginal.h"
#include "tests/inference/gibbs_test_util.h"
#include "tests/support/random_models.h"
#include "tests/support/sampling_checks.h"

namespace dgm::inference::gradient_test {

using gibbs_test::compile_random;
using gibbs_test::initial_chains;
using gibbs_test::TestModel;

inline constexpr std::int32_t kChains = 64;

// The three samplers through the registry, as `dgm sample --sampler NAME` makes them.
struct Spec {
  std::string name = "gwg";
  std::int32_t num_flips = 0;
  bool generic_only = false;
  double step_size = 0.0;
  bool joint = false;  // RBMs: sample (v, h) as a factor graph
  bool exact_rbm_scores = false;
  std::string label() const {
    return name + (num_flips > 1 ? "-" + std::to_string(num_flips) : "") +
           (generic_only ? " (generic)" : "");
  }
};

inline std::unique_ptr<Sampler> make(const Spec& spec, const engine::CompiledModel& model,
                                     std::uint64_t seed) {
  proto::SamplerConfig config;
  proto::RbmMarginalConfig* rbm = nullptr;
  if (spec.name == "gwg") {
    config.mutable_gwg()->set_num_flips(spec.num_flips);
    config.mutable_gwg()->set_generic_only(spec.generic_only);
    rbm = config.mutable_gwg()->mutable_rbm();
  } else if (spec.name == "dula") {
    config.mutable_dula()->set_step_size(spec.step_size);
    config.mutable_dula()->set_generic_only(spec.generic_only);
    rbm = config.mutable_dula()->mutable_rbm();
  } else {
    config.mutable_dmala()->set_step_size(spec.step_size);
    config.mutable_dmala()->set_generic_only(spec.generic_only);
    rbm = config.mutable_dmala()->mutable_rbm();
  }
  rbm->set_joint(spec.joint);
  if (spec.exact_rbm_scores) rbm->set_scores(proto::RbmMarginalConfig::EXACT);
  return make_sampler(spec.name, std::make_shared<const dgm::engine::CompiledModel>(model), config,
                      seed);
}

inline testing::SamplingCheckResult run_check(Sampler& sampler, const TestModel& t,
                                              std::uint64_t seed, std::int64_t sweeps = 2000) {
  Chains chains = initial_chains(t, kChains, seed);
  testing::SamplingCheckOptions o;
  o.burn_in = 200;
  o.sweeps = sweeps;
  o.pairs = gibbs_test::some_pairs(*t.model.graph);
  return testing::check_marginals(sampler, chains, t.model, o);
}

// ≥ 20 models: binary pairwise (0–3), categorical with 3-variable tables and Potts (4–7), soft
// mixed kinds (8–10), evidence (11–15), and hard-constrained ones (sparse enumeration, OR/AND,
// −inf entries) whose support single-site moves connect (16–19).
inline std::vector<TestModel> exactness_pool() {
  std::vector<TestModel> pool;
  for (std::uint64_t s = 0; s < 4; ++s)
    pool.push_back(compile_random(testing::binary_pairwise_options(s, 6)));
  for (std::uint64_t s = 0; s < 4; ++s)
    pool.push_back(compile_random(testing::categorical_options(s, 5, 3)));
  for (std::uint64_t s = 0; s < 3; ++s)
    pool.push_back(compile_random(testing::soft_options(s, 6, 3)));
  for (std::uint64_t s = 10; s < 15; ++s) {
    testing::RandomModelOptions o =
        s % 2 ? testing::soft_options(s, 6, 3) : testing::categorical_options(s, 6, 3);
    o.evidence_probability = 1.0;
    pool.push_back(compile_random(o));
  }
  // The first four of Gibbs's pool: the fifth (seed 7) puts 97% of its mass on one state
  // behind a barrier of ~7 nats, which no single-site sampler crosses often enough in 2200
  // sweeps for the bound.
  for (TestModel& t : gibbs_test::ergodic_hard_models(4, 0)) pool.push_back(std::move(t));
  return pool;
}

// The unit tests' share of exactness_pool(): one model of each group (binary pairwise,
// categorical, soft, evidence, hard).
inline constexpr std::size_t kUnitModels[] = {0, 4, 8, 11, 16};

inline std::vector<std::size_t> all_of(const std::vector<TestModel>& pool) {
  std::vector<std::size_t> all(pool.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

// The statistical check of `spec` on pool[i] for i in `which`, model i with seed seed0 + i.
inline void expect_exact(const Spec& spec, const std::vector<TestModel>& pool, std::uint64_t seed0,
                         std::span<const std::size_t> which) {
  double worst = 0.0;
  for (const std::size_t i : which) {
    const TestModel& t = pool[i];
    auto sampler = make(spec, t.model, seed0 + i);
    const auto result = run_check(*sampler, t, seed0 + i);
    EXPECT_TRUE(result.passed) << spec.label() << " on " << t.description << ": "
                               << result.summary();
    worst = std::max(worst, result.worst_z);
  }
  std::printf("%s: worst z %.2f over %zu models\n", spec.label().c_str(), worst, which.size());
}

// The same check, with the same seeds, on samplers whose reverse term is wrong (gwg: the
// forward normaliser; dmala: the forward scores). A wrong ratio on a model where it happens
// to matter little may pass, so all models but one must fail.
inline void expect_wrong_reverse_fails(const std::vector<TestModel>& pool,
                                       std::span<const std::size_t> which) {
  int gwg_failed = 0, dmala_failed = 0, tried = 0;
  for (const std::size_t i : which) {
    const TestModel& t = pool[i];
    GwgParams gp;
    gp.wrong_reverse_for_testing = true;
    GwgSampler gwg(t.model, gp, 100 + i);
    const auto g = run_check(gwg, t, 100 + i);
    DlpParams dp;
    dp.step_size = 1.0;
    dp.wrong_reverse_for_testing = true;
    DlpSampler dmala(t.model, dp, 600 + i);
    const auto d = run_check(dmala, t, 600 + i);
    std::printf("wrong reverse on model %zu: gwg worst z %.1f, dmala worst z %.1f\n", i, g.worst_z,
                d.worst_z);
    gwg_failed += !g.passed;
    dmala_failed += !d.passed;
    ++tried;
  }
  EXPECT_GE(gwg_failed, tried - 1);
  EXPECT_GE(dmala_failed, tried - 1);
}

// A small RBM (6 visible, 3 hidden units), with evidence on some models.
inline TestModel tiny_rbm(std::uint64_t seed, bool evidence) {
  testing::RandomModelOptions o = testing::rbm_options(seed, 6, 3);
  o.coupling_scale = 0.8;
  o.evidence_probability = evidence ? 1.0 : 0.0;
  return compile_random(o);
}

// gwg and dmala on the RBM visible-marginal path, with both score kinds, against enumeration
// on tiny_rbm(s, s % 3 == 2) for each seed s; models whose evidence clamps a hidden unit
// (which the marginal path does not take) are skipped. Returns the number of checks run.
inline int expect_rbm_marginal_exact(std::span<const std::uint64_t> seeds) {
  int ran = 0;
  for (const std::uint64_t s : seeds) {
    const TestModel t = tiny_rbm(s, s % 3 == 2);
    const auto layout = rbm_layout(t.model);
    EXPECT_TRUE(layout.has_value()) << t.description;
    if (!layout || !rbm_marginal_applies(t.model, *layout)) continue;
    for (const char* name : {"gwg", "dmala"})
      for (bool exact_scores : {false, true}) {
        Spec spec{name};
        spec.exact_rbm_scores = exact_scores;
        auto sampler = make(spec, t.model, 40 + s);
        EXPECT_NE(dynamic_cast<RbmMarginalSampler*>(sampler.get()), nullptr);
        const auto result = run_check(*sampler, t, 40 + s);
        EXPECT_TRUE(result.passed) << name << (exact_scores ? " exact" : " first-order") << " on "
                                   << t.description << ": " << result.summary();
        ++ran;
      }
  }
  return ran;
}

}  // namespace dgm::inference::gradient_test
