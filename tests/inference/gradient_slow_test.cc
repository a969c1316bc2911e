// Heavier statistical checks of the gradient-informed samplers (label "slow"): statistical
// exactness of gwg (fast and generic scores), gwg-2, gwg-3 and dmala (step sizes 0.2 and 1)
// against enumeration on every model of gradient_test::exactness_pool(), a wrong reverse term
// failing the same check on eight models, the RBM visible-marginal path on six small RBMs, and
// DULA's bias shrinking with the step size. The unit tests (gradient_test) run the same checks,
// with the same seeds and bounds, on one model of each kind. All tests are GradientSlow.*:
// `ctest -L slow -R GradientSlow`.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "inference/exact/enumeration.h"
#include "inference/gradient/dlp_sampler.h"
#include "tests/inference/gradient_test_util.h"

namespace dgm::inference {
namespace {

using gradient_test::all_of;
using gradient_test::exactness_pool;
using gradient_test::expect_exact;
using gradient_test::TestModel;

TEST(GradientSlow, GwgExact) {
  const std::vector<TestModel> pool = exactness_pool();
  expect_exact({"gwg"}, pool, 100, all_of(pool));
}

TEST(GradientSlow, GwgGenericPathExact) {
  gradient_test::Spec spec{"gwg"};
  spec.generic_only = true;
  constexpr std::size_t kModels[] = {0, 1, 2, 3, 4, 5};
  expect_exact(spec, exactness_pool(), 200, kModels);
}

TEST(GradientSlow, GwgTwoAndThreeFlipsExact) {
  const std::vector<TestModel> pool = exactness_pool();
  expect_exact({"gwg", 2}, pool, 300, all_of(pool));
  // Fewer models for n = 3 (time): no categorical or soft ones without evidence.
  constexpr std::size_t kModels[] = {0, 1, 2, 11, 12, 13, 14, 15, 16, 17, 18, 19};
  expect_exact({"gwg", 3}, pool, 400, kModels);
}

TEST(GradientSlow, DmalaExact) {
  const std::vector<TestModel> pool = exactness_pool();
  gradient_test::Spec spec{"dmala"};
  expect_exact(spec, pool, 500, all_of(pool));
  spec.step_size = 1.0;  // larger moves, lower acceptance: the MH ratio matters more
  constexpr std::size_t kModels[] = {0, 1, 2, 3, 4, 5};
  expect_exact(spec, pool, 600, kModels);
}

TEST(GradientSlow, WrongReverseTermFailsTheSameCheck) {
  constexpr std::size_t kModels[] = {0, 1, 2, 3, 4, 5, 6, 7};
  gradient_test::expect_wrong_reverse_fails(exactness_pool(), kModels);
}

TEST(GradientSlow, RbmMarginalExactWithBothScoreKinds) {
  // Seed 2's evidence clamps a hidden unit (not the marginal path's), 5 and 11 clamp visible
  // units only.
  constexpr std::uint64_t kSeeds[] = {0, 1, 2, 3, 4, 5, 11};
  EXPECT_EQ(gradient_test::expect_rbm_marginal_exact(kSeeds), 24);
}

// DULA is biased, less so for smaller steps (reported, not a bound on the bias itself).
TEST(GradientSlow, DulaBiasShrinksWithTheStepSize) {
  const TestModel t = gradient_test::compile_random(testing::binary_pairwise_options(2, 5));
  const auto exact = enumerate(t.model);
  std::vector<double> errors;
  for (const double alpha : {2.0, 0.5, 0.2}) {
    DlpParams p;
    p.metropolis = false;
    p.step_size = alpha;
    DlpSampler dula(t.model, p, 11);
    Chains chains = gradient_test::initial_chains(t, 64, 3);
    testing::SamplingCheckOptions o;
    o.burn_in = 500;
    o.sweeps = 20000;
    const auto result = testing::check_marginals(dula, chains, t.model, o);
    double worst = 0.0;
    for (std::size_t k = 0; k < result.marginals.size(); ++k)
      worst = std::max(worst, std::abs(result.marginals[k] - exact.marginals[k]));
    errors.push_back(worst);
    std::printf("dula alpha %.2f: max marginal error %.4f (worst z %.1f)\n", alpha, worst,
                result.worst_z);
  }
  EXPECT_GT(errors[0], errors[2]);
  EXPECT_GT(errors[0], 2 * 0.01);  // clearly biased at α = 2
}

}  // namespace
}  // namespace dgm::inference
