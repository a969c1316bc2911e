// Maximum-likelihood gradients: the exact gradient against finite differences of the average
// log-likelihood (fully visible and RBM with hidden units summed out); sampled negatives
// (PCD, long CD, PMP where it is exact) against the exact gradient; training with the exact
// gradient recovers the parameters that generated the data.
#include "learning/gradient.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "engine/log_potential.h"
#include "inference/exact/enumeration.h"
#include "learning/optimizer.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

using ::testing::HasSubstr;

// Average log-likelihood of the examples, by enumeration: log Σ_hidden exp f − log Z.
double log_likelihood(const engine::CompiledModel& m, const Dataset& data,
                      const VisibleLayout& visible) {
  const double log_z = inference::enumerate(m).log_z;
  double total = 0.0;
  for (std::int64_t r = 0; r < data.num_examples; ++r) {
    engine::CompiledModel clamped = m;
    for (std::size_t c = 0; c < visible.variables.size(); ++c)
      clamped.evidence[visible.variables[c]] = data.example(r)[c];
    total += inference::enumerate(clamped).log_z - log_z;
  }
  return total / static_cast<double>(data.num_examples);
}

Dataset random_data(std::int64_t rows, std::int64_t width, int cardinality, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  Dataset d;
  d.source = "random";
  d.num_examples = rows;
  d.width = width;
  for (std::int64_t i = 0; i < rows * width; ++i)
    d.values.push_back(static_cast<std::int32_t>(gen() % static_cast<std::uint64_t>(cardinality)));
  return d;
}

std::vector<std::int64_t> all_rows(const Dataset& d) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(d.num_examples));
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

constexpr const char* kSoft = R"(
  variables { name: "x" shape: [4] cardinality: 3 }
  parameters { name: "J" value: 0.4 learnable: true }
  parameters { name: "u" shape: [4, 3] value: [0.3, -0.2, 0.1, 0.0, 0.4, -0.3, 0.2, 0.2, -0.5,
                                              -0.1, 0.0, 0.3] learnable: true }
  parameters { name: "T" shape: [3, 3] value: [0.5, -0.1, 0.2, 0.0, 0.3, -0.4, 0.1, 0.2, 0.0]
               learnable: true }
  factors { name: "bonds" potts { coupling: "J" } lattice { group: "x" } }
  factors { name: "fields" unary { log_potentials: "u" } each: "x" }
  factors { name: "pair" pairwise { log_potentials: "T" } scope: "x[0] x[3]" })";

constexpr const char* kIndependent = R"(
  variables { name: "x" shape: [4] cardinality: 3 }
  parameters { name: "u" shape: [4, 3] value: [0.3, -0.2, 0.1, 0.0, 0.4, -0.3, 0.2, 0.2, -0.5,
                                              -0.1, 0.0, 0.3] learnable: true }
  factors { name: "fields" unary { log_potentials: "u" } each: "x" })";

constexpr const char* kRbm = R"(
  variables { name: "v" shape: [4] cardinality: 2 }
  variables { name: "h" shape: [2] cardinality: 2 }
  parameters { name: "W" shape: [4, 2] value: [0.8, -0.5, 0.3, -0.9, 0.4, 0.6, 0.2, -0.7]
               learnable: true }
  parameters { name: "b" shape: [4] value: [0.2, -0.3, 0.1, 0.4] learnable: true }
  parameters { name: "c" shape: [2] value: [-0.1, 0.3] learnable: true }
  factors { name: "weights" bipartite { left: "v" right: "h" weights: "W" } }
  factors { name: "vb" unary { log_odds: "b" } each: "v" }
  factors { name: "hb" unary { log_odds: "c" } each: "h" })";

void expect_exact_gradient_is_the_derivative(const char* text, const Dataset& data) {
  const engine::CompiledModel m = testing::compile_text(text);
  const std::int64_t width = data.width;
  const VisibleLayout visible = visible_layout(*m.graph, {}, width, "data");
  GradientSettings s;
  s.negatives = Negatives::kExact;
  GradientEstimator estimator(m, visible, 7, s);
  std::vector<double> g(m.params.values.size());
  estimator.gradient(data, all_rows(data), g);
  for (std::size_t i = 0; i < g.size(); ++i) {
    engine::CompiledModel plus = m, minus = m;
    plus.params.values[i] += 1e-5;
    minus.params.values[i] -= 1e-5;
    const double numeric =
        (log_likelihood(plus, data, visible) - log_likelihood(minus, data, visible)) / 2e-5;
    EXPECT_NEAR(g[i], numeric, 1e-6) << "parameter value " << i;
  }
}

TEST(Gradient, ExactIsTheDerivativeOfTheLogLikelihood) {
  expect_exact_gradient_is_the_derivative(kSoft, random_data(7, 4, 3, 3));
}

TEST(Gradient, ExactWithHiddenUnitsSummedOutIsTheDerivative) {
  expect_exact_gradient_is_the_derivative(kRbm, random_data(7, 4, 2, 3));
  // Sparse pixels (5 ones in 28): the hidden units' pre-activations and the weights'
  // statistics go through sums of selected rows (learning/binary_products.h).
  Dataset sparse = random_data(7, 4, 2, 3);
  std::fill(sparse.values.begin(), sparse.values.end(), 0);
  for (const int i : {1, 6, 11, 20, 27}) sparse.values[static_cast<std::size_t>(i)] = 1;
  expect_exact_gradient_is_the_derivative(kRbm, sparse);
}

// Sampled negatives estimate E_model[φ]: with enough chains at equilibrium they agree with the
// exact gradient within their sampling error.
TEST(Gradient, SampledNegativesAgreeWithTheExactGradient) {
  struct Case {
    const char* name;
    const char* text;
    std::int64_t width;
    int card;
    Negatives negatives;
    std::string sampler;
    std::string fresh = "pmp";
    std::int64_t k = 30;
  };
  const std::vector<Case> cases = {
      {"pcd gibbs", kSoft, 4, 3, Negatives::kPcd, "gibbs"},
      {"cd-30 chromatic", kSoft, 4, 3, Negatives::kCd, "chromatic-gibbs"},
      {"pcd block-gibbs rbm", kRbm, 4, 2, Negatives::kPcd, "block-gibbs"},
      {"cd-30 gwg rbm", kRbm, 4, 2, Negatives::kCd, "gwg"},
      // PMP is exact for independent variables (the Gumbel-max trick): k = 0.
      {"fresh pmp, k = 0", kIndependent, 4, 3, Negatives::kFresh, "gibbs", "pmp", 0},
      // Elsewhere PMP is approximate; k sweeps of Gibbs from its draws remove the bias.
      {"fresh pmp + 20 gibbs", kSoft, 4, 3, Negatives::kFresh, "gibbs", "pmp", 20},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const engine::CompiledModel m = testing::compile_text(c.text);
    const std::int32_t batch = c.negatives == Negatives::kCd ? 4000 : 50;
    const Dataset data = random_data(batch, c.width, c.card, 5);
    const VisibleLayout visible = visible_layout(*m.graph, {}, c.width, "data");
    GradientSettings exact;
    exact.negatives = Negatives::kExact;
    GradientEstimator reference(m, visible, batch, exact);
    std::vector<double> expected(m.params.values.size()), g(m.params.values.size());
    reference.gradient(data, all_rows(data), expected);
    GradientSettings s;
    s.negatives = c.negatives;
    s.sampler = c.sampler;
    s.fresh_sampler = c.fresh;
    s.chains = 4000;
    s.k = c.k;
    s.seed = 9;
    GradientEstimator estimator(m, visible, batch, s);
    if (c.negatives == Negatives::kPcd) estimator.gradient(data, all_rows(data), g);  // burn-in
    estimator.gradient(data, all_rows(data), g);
    double worst = 0.0;
    for (std::size_t i = 0; i < g.size(); ++i)
      worst = std::max(worst, std::abs(g[i] - expected[i]));
    // Statistics are means of indicators over 4,000 near-independent chains: se ≤ 0.008.
    EXPECT_LT(worst, 0.04);
  }
}

// An RBM with a visible log-odds bias, a tied spin field on the visible layer and a table bias
// on the hidden one: every unary form the RBM fast path passes through factors/.
std::string fast_path_rbm(int nv, int nh, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 0.4);
  auto values = [&](int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? ", " : "") + std::to_string(normal(gen));
    return out;
  };
  const std::string v = std::to_string(nv), h = std::to_string(nh);
  return "variables { name: \"v\" shape: [" + v + "] cardinality: 2 }\n" +
         "variables { name: \"h\" shape: [" + h + "] cardinality: 2 }\n" +
         "parameters { name: \"W\" shape: [" + v + ", " + h + "] value: [" + values(nv * nh) +
         "] learnable: true }\n" + "parameters { name: \"b\" shape: [" + v + "] value: [" +
         values(nv) + "] learnable: true }\n" +
         "parameters { name: \"f\" value: 0.15 learnable: true }\n" +
         "parameters { name: \"c\" shape: [" + h + ", 2] value: [" + values(2 * nh) +
         "] learnable: true }\n" +
         "factors { name: \"weights\" bipartite { left: \"v\" right: \"h\" weights: \"W\" } }\n"
         "factors { name: \"vb\" unary { log_odds: \"b\" } each: \"v\" }\n"
         "factors { name: \"vf\" unary { field: \"f\" } each: \"v\" }\n"
         "factors { name: \"hb\" unary { log_potentials: \"c\" } each: \"h\" }\n";
}

// The RBM fast path (float, learning/rbm_gradient.h) against the general statistics (double)
// on the same negatives — the same seeds give the same chains — for sparse and dense data,
// every sampled method, and after the parameters change. A mutation of the fast path's
// weights, biases or scaling fails it.
TEST(Gradient, RbmFastPathEqualsTheGeneralStatistics) {
  const engine::CompiledModel m = testing::compile_text(fast_path_rbm(30, 9, 4));
  const VisibleLayout visible = visible_layout(*m.graph, {}, 30, "data");
  for (const double density : {0.12, 0.5}) {
    Dataset data = random_data(40, 30, 2, 6);
    std::mt19937_64 gen(8);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (std::int32_t& x : data.values) x = unit(gen) < density ? 1 : 0;
    struct Case {
      const char* name;
      Negatives negatives;
      std::string sampler;
      std::int64_t k;
    };
    // CD with block Gibbs takes the data side's products from the sampler's first sweep:
    // with k = 2 a later sweep's products would be the wrong ones.
    for (const Case& c : {Case{"cd-1 block-gibbs", Negatives::kCd, "block-gibbs", 1},
                          Case{"cd-2 block-gibbs", Negatives::kCd, "block-gibbs", 2},
                          Case{"pcd-1 gibbs", Negatives::kPcd, "gibbs", 1},
                          // Visible-first sweeps: the negatives' products come from the last one.
                          Case{"pcd-2 block-gibbs", Negatives::kPcd, "block-gibbs", 2},
                          Case{"fresh pmp + 1 block-gibbs", Negatives::kFresh, "block-gibbs", 1}}) {
      SCOPED_TRACE(std::string(c.name) + ", density " + std::to_string(density));
      GradientSettings s;
      s.negatives = c.negatives;
      s.sampler = c.sampler;
      s.k = c.k;
      s.chains = 25;
      s.seed = 3;
      GradientEstimator fast(m, visible, 40, s);
      s.generic_statistics = true;
      GradientEstimator general(m, visible, 40, s);
      ASSERT_TRUE(fast.rbm_fast_path());
      ASSERT_FALSE(general.rbm_fast_path());
      std::vector<double> a(m.params.values.size(), 7.0), b(m.params.values.size(), -7.0);
      std::vector<double> values = m.params.values;
      for (int update = 0; update < 3; ++update) {
        fast.gradient(data, all_rows(data), a);
        general.gradient(data, all_rows(data), b);
        double worst = 0.0, largest = 0.0;
        for (std::size_t i = 0; i < a.size(); ++i) {
          worst = std::max(worst, std::abs(a[i] - b[i]));
          largest = std::max(largest, std::abs(b[i]));
        }
        EXPECT_LT(worst, 1e-5) << "update " << update;
        EXPECT_GT(largest, 0.05);  // not a comparison of zeros
        for (std::size_t i = 0; i < values.size(); ++i) values[i] += 0.5 * b[i];
        fast.set_parameters(values);
        general.set_parameters(values);
      }
    }
  }
}

// Values that one session's sampler refuses and another's accepts (block Gibbs refuses a
// hidden unit whose two table entries are −inf, a NaN log-odds; Gibbs takes them) leave the
// estimator as it was: the gradients after the refusal are those of an estimator that never
// saw the values. A mutation that keeps the accepting session on the refused values fails.
TEST(Gradient, ValuesOneSamplerRefusesChangeNoSession) {
  const engine::CompiledModel m = testing::compile_text(fast_path_rbm(12, 5, 9));
  const VisibleLayout visible = visible_layout(*m.graph, {}, 12, "data");
  const Dataset data = random_data(20, 12, 2, 4);
  GradientSettings s;
  s.negatives = Negatives::kFresh;
  s.fresh_sampler = "gibbs";
  s.sampler = "block-gibbs";
  s.k = 1;
  s.chains = 10;
  s.seed = 5;
  GradientEstimator refused(m, visible, 20, s), untouched(m, visible, 20, s);
  ASSERT_TRUE(refused.rbm_fast_path());
  std::vector<double> bad = m.params.values;
  const auto& c = m.params.info[static_cast<std::size_t>(m.params.find("c"))];
  bad[static_cast<std::size_t>(c.offset)] = -std::numeric_limits<double>::infinity();
  bad[static_cast<std::size_t>(c.offset) + 1] = -std::numeric_limits<double>::infinity();
  try {
    refused.set_parameters(bad);
    FAIL() << "block Gibbs accepted a hidden unit with no possible state";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
  std::vector<double> a(m.params.values.size()), b(m.params.values.size());
  for (int update = 0; update < 2; ++update) {
    refused.gradient(data, all_rows(data), a);
    untouched.gradient(data, all_rows(data), b);
    EXPECT_EQ(a, b) << "update " << update;
  }
}

// A wrong estimator is caught: negatives from a model with other parameters disagree.
TEST(Gradient, StaleParametersAreDetectedByTheComparison) {
  const engine::CompiledModel m = testing::compile_text(kSoft);
  const Dataset data = random_data(50, 4, 3, 5);
  const VisibleLayout visible = visible_layout(*m.graph, {}, 4, "data");
  GradientSettings exact;
  exact.negatives = Negatives::kExact;
  GradientEstimator reference(m, visible, 50, exact);
  std::vector<double> expected(m.params.values.size()), g(m.params.values.size());
  reference.gradient(data, all_rows(data), expected);
  GradientSettings s;
  s.negatives = Negatives::kPcd;
  s.chains = 4000;
  s.k = 30;
  GradientEstimator estimator(m, visible, 50, s);
  std::vector<double> other = m.params.values;
  for (double& v : other) v *= -2;
  estimator.set_parameters(other);
  estimator.gradient(data, all_rows(data), g);
  estimator.set_parameters(m.params.values);  // back: the sessions must follow
  estimator.gradient(data, all_rows(data), g);
  estimator.gradient(data, all_rows(data), g);
  double worst = 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::abs(g[i] - expected[i]));
  EXPECT_LT(worst, 0.04);
  estimator.set_parameters(other);
  estimator.gradient(data, all_rows(data), g);
  worst = 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) worst = std::max(worst, std::abs(g[i] - expected[i]));
  EXPECT_GT(worst, 0.1);
}

// Data drawn from a known model; maximum likelihood with the exact gradient recovers it.
TEST(Gradient, TrainingWithTheExactGradientRecoversTheParameters) {
  const engine::CompiledModel truth = testing::compile_text(R"(
    variables { name: "s" shape: [4] cardinality: 2 }
    parameters { name: "J" shape: [3] value: [0.8, -0.5, 0.3] learnable: true }
    parameters { name: "h" shape: [4] value: [0.2, -0.4, 0.0, 0.5] learnable: true }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "field" unary { log_odds: "h" } each: "s" })");
  const inference::EnumerationResult p = inference::enumerate(truth);
  // 20,000 exact draws by inverse CDF over the 16 states.
  std::vector<double> prob(16);
  for (int x = 0; x < 16; ++x) {
    std::vector<std::int32_t> s = {(x >> 3) & 1, (x >> 2) & 1, (x >> 1) & 1, x & 1};
    prob[static_cast<std::size_t>(x)] = std::exp(engine::total_log_potential(truth, s) - p.log_z);
  }
  std::mt19937_64 gen(17);
  std::discrete_distribution<int> draw(prob.begin(), prob.end());
  Dataset data;
  data.source = "exact draws";
  data.num_examples = 20000;
  data.width = 4;
  for (std::int64_t r = 0; r < data.num_examples; ++r) {
    const int x = draw(gen);
    for (int j = 3; j >= 0; --j) data.values.push_back((x >> j) & 1);
  }
  engine::CompiledModel start = truth;
  std::fill(start.params.values.begin(), start.params.values.end(), 0.0);
  const VisibleLayout visible = visible_layout(*start.graph, {}, 4, "data");
  GradientSettings s;
  s.negatives = Negatives::kExact;
  GradientEstimator estimator(start, visible, static_cast<std::int32_t>(data.num_examples), s);
  OptimizerSettings o;
  o.kind = OptimizerSettings::Kind::kAdam;
  o.learning_rate = 0.05;
  Optimizer optimizer(start.params, o);
  std::vector<double> theta = start.params.values, g(theta.size());
  const std::vector<std::int64_t> rows = all_rows(data);
  for (int t = 0; t < 600; ++t) {
    estimator.set_parameters(theta);
    estimator.gradient(data, rows, g);
    optimizer.step(theta, g, 0);
  }
  for (std::size_t i = 0; i < theta.size(); ++i)
    EXPECT_NEAR(theta[i], truth.params.values[i], 0.05) << "parameter value " << i;
}

// Hidden variables outside an RBM layer are sampled with the visible values clamped: the data
// side averaged over many updates is E_{p(h | v)}[φ], so the mean gradient is the exact
// derivative of the log-likelihood with the hidden variables summed out. Two hidden variables
// of a loopy categorical model, so the clamped chains are real Gibbs chains.
TEST(Gradient, HiddenVariablesOutsideAnRbmAreSampledWithTheVisibleClamped) {
  const engine::CompiledModel m = testing::compile_text(kSoft);
  VisibleLayout partial;
  partial.groups = {0};
  partial.variables = {0, 1};
  const Dataset data = random_data(7, 2, 3, 9);
  GradientSettings s;
  s.negatives = Negatives::kExact;
  s.hidden_sweeps = 2;
  GradientEstimator estimator(m, partial, 7, s);
  const std::int64_t updates = 3000;
  std::vector<double> g(m.params.values.size()), mean(g.size(), 0.0);
  for (std::int64_t u = 0; u < updates; ++u) {
    estimator.gradient(data, all_rows(data), g);
    for (std::size_t i = 0; i < g.size(); ++i) mean[i] += g[i] / updates;
  }
  for (std::size_t i = 0; i < g.size(); ++i) {
    engine::CompiledModel plus = m, minus = m;
    plus.params.values[i] += 1e-5;
    minus.params.values[i] -= 1e-5;
    const double numeric =
        (log_likelihood(plus, data, partial) - log_likelihood(minus, data, partial)) / 2e-5;
    // Per update the statistics' standard deviation is below 0.4 (a mean of 7 indicators);
    // over 3000 updates of 2 sweeps, with the chains' correlation, σ ≲ 0.01.
    EXPECT_NEAR(mean[i], numeric, 0.05) << "parameter value " << i;
  }
  EXPECT_FALSE(estimator.rao_blackwellised());
  EXPECT_EQ(estimator.clamped_hidden_chains().size(), 7u * 2u);
}

TEST(Gradient, BadSettingsAreRefused) {
  const engine::CompiledModel m = testing::compile_text(kSoft);
  VisibleLayout partial;
  partial.groups = {0};
  partial.variables = {0, 1, 2};
  GradientSettings s;
  s.hidden_sweeps = 0;
  EXPECT_THAT(testing::error_of([&] { GradientEstimator e(m, partial, 10, s); }),
              HasSubstr("leaves 1 variables hidden (first: x[3])"));
  s.hidden_sweeps = 1;
  s.k = 0;
  const std::vector<std::string> names = {"x"};
  EXPECT_THAT(testing::error_of(
                  [&] { GradientEstimator e(m, visible_layout(*m.graph, names, 4, "d"), 10, s); }),
              HasSubstr("k ≥ 1"));
}

}  // namespace
}  // namespace dgm::learning
