// Sampler quality metrics (inference/metrics/): the Hamming-kernel MMD against its closed form
// on product distributions, Geyer's ESS on i.i.d. and AR(1) series, split-R̂ on mixed, stuck
// and trending chains, marginal errors, and the convergence monitor on real Gibbs runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "inference/metrics/convergence_monitor.h"
#include "inference/metrics/effective_sample_size.h"
#include "inference/metrics/marginal_error.h"
#include "inference/metrics/mmd.h"
#include "inference/metrics/split_rhat.h"
#include "inference/sampling/autocorrelation.h"
#include "inference/session/session.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// rows × p.size() independent Bernoulli(p_i) states.
std::vector<std::int32_t> product_bernoulli(const std::vector<double>& p, std::int64_t rows,
                                            std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::int32_t> x;
  x.reserve(static_cast<std::size_t>(rows) * p.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (const double pi : p) x.push_back(u(gen) < pi ? 1 : 0);
  return x;
}

// E k(x, y) for x ~ p, y ~ q independent products: Π_i E exp(−1[x_i ≠ y_i]/D).
double expected_kernel(const std::vector<double>& p, const std::vector<double>& q) {
  const double d = static_cast<double>(p.size());
  double e = 1.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double differ = p[i] * (1 - q[i]) + (1 - p[i]) * q[i];
    e *= (1 - differ) + differ * std::exp(-1.0 / d);
  }
  return e;
}

TEST(Mmd, ASetAgainstItselfIsZeroAndTwoSamplesOfOneDistributionNearly) {
  const std::vector<double> p = {0.1, 0.5, 0.7, 0.3, 0.9, 0.5, 0.2, 0.6};
  const auto a = product_bernoulli(p, 400, 1);
  const Mmd self = hamming_mmd(a, 400, a, 400, 8);
  EXPECT_NEAR(self.biased, 0.0, 1e-12);
  // The U-statistic of a set against itself is the negative of the diagonal's share.
  EXPECT_LT(self.unbiased, 0.0);
  // Pairs of independent sets from one distribution: the U-statistic averages to 0 (within
  // 3 standard errors of the mean of the repetitions), the V-statistic stays above it.
  const int repetitions = 40;
  double sum = 0, sum_sq = 0, biased = 0;
  for (int r = 0; r < repetitions; ++r) {
    const auto x = product_bernoulli(p, 200, 100 + 2 * r);
    const auto y = product_bernoulli(p, 200, 101 + 2 * r);
    const Mmd m = hamming_mmd(x, 200, y, 200, 8);
    EXPECT_GE(m.biased, 0.0);
    sum += m.unbiased;
    sum_sq += m.unbiased * m.unbiased;
    biased += m.biased;
  }
  const double mean = sum / repetitions;
  const double sd = std::sqrt((sum_sq - repetitions * mean * mean) / (repetitions - 1));
  EXPECT_LT(std::abs(mean), 3 * sd / std::sqrt(repetitions));
  EXPECT_GT(biased / repetitions, mean + 3 * sd / std::sqrt(repetitions));
}

TEST(Mmd, ProductBernoullisMatchTheClosedForm) {
  const std::int32_t d = 16;
  std::vector<double> p(d), q(d);
  for (std::int32_t i = 0; i < d; ++i) {
    p[i] = 0.2 + 0.6 * i / (d - 1);
    q[i] = 0.5;
  }
  const double exact = expected_kernel(p, p) + expected_kernel(q, q) - 2 * expected_kernel(p, q);
  ASSERT_GT(exact, 1e-3);
  const std::int64_t rows = 3000;
  const auto a = product_bernoulli(p, rows, 3);
  const auto b = product_bernoulli(q, rows, 4);
  const Mmd m = hamming_mmd(a, rows, b, rows, d);
  EXPECT_NEAR(m.unbiased, exact, 0.1 * exact);
  // The V-statistic adds the diagonals' (1 − E k)/n per set: a small upward bias.
  EXPECT_NEAR(m.biased, exact, 0.1 * exact);
  EXPECT_GT(m.biased, m.unbiased);
  // The prepared reference gives the same numbers.
  const HammingMmdReference reference(a, rows, d);
  const Mmd r = reference.against(b, rows);
  EXPECT_DOUBLE_EQ(r.biased, m.biased);
  EXPECT_DOUBLE_EQ(r.unbiased, m.unbiased);
  EXPECT_EQ(reference.rows(), rows);
  EXPECT_EQ(reference.num_vars(), d);
}

TEST(Mmd, BitPackedPathEqualsTheGenericPath) {
  // 70 variables: two words per row, the second partly used. States {0, 2} have the same
  // Hamming distances as {0, 1} but are not binary, so they take the generic path.
  std::vector<double> p(70);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = 0.1 + 0.8 * ((i * 37) % 70) / 70.0;
  const auto a = product_bernoulli(p, 150, 5);
  const auto b = product_bernoulli(std::vector<double>(70, 0.5), 120, 6);
  auto doubled = [](std::vector<std::int32_t> x) {
    for (auto& v : x) v *= 2;
    return x;
  };
  const Mmd packed = hamming_mmd(a, 150, b, 120, 70);
  const Mmd generic = hamming_mmd(doubled(a), 150, doubled(b), 120, 70);
  EXPECT_DOUBLE_EQ(packed.biased, generic.biased);
  EXPECT_DOUBLE_EQ(packed.unbiased, generic.unbiased);
  const HammingMmdReference binary_ref(a, 150, 70), generic_ref(doubled(a), 150, 70);
  EXPECT_DOUBLE_EQ(binary_ref.against(b, 120).biased, packed.biased);
  EXPECT_DOUBLE_EQ(generic_ref.against(doubled(b), 120).biased, packed.biased);
  // A binary reference against categorical samples falls back to the generic path.
  auto categorical = b;
  categorical[0] = 2;
  const Mmd mixed = hamming_mmd(a, 150, categorical, 120, 70);
  EXPECT_DOUBLE_EQ(binary_ref.against(categorical, 120).unbiased, mixed.unbiased);
}

TEST(Mmd, BadInputIsRefused) {
  const std::vector<std::int32_t> x = {0, 1, 1, 0};
  EXPECT_THAT(testing::error_of([&] { hamming_mmd(x, 2, x, 1, 2); }), HasSubstr("at least 2 rows"));
  EXPECT_THAT(testing::error_of([&] { hamming_mmd(x, 2, x, 2, 3); }), HasSubstr("4 values"));
  const std::vector<std::int32_t> negative = {0, -1, 1, 0};
  EXPECT_THAT(testing::error_of([&] { HammingMmdReference(negative, 2, 2); }),
              HasSubstr("negative state"));
}

// chains × length values of x_t = ρ x_{t−1} + ε, started in equilibrium.
std::vector<double> ar1(double rho, std::int64_t chains, std::int64_t length, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> eps(0.0, 1.0);
  std::vector<double> series;
  series.reserve(static_cast<std::size_t>(chains * length));
  for (std::int64_t c = 0; c < chains; ++c) {
    double x = eps(gen) / std::sqrt(1 - rho * rho);
    for (std::int64_t t = 0; t < length; ++t) {
      series.push_back(x);
      x = rho * x + eps(gen);
    }
  }
  return series;
}

TEST(GeyerEss, IidDrawsGiveAboutTheirNumber) {
  const auto series = ar1(0.0, 4, 5000, 7);
  const EffectiveSampleSize e = geyer_ess(series, 4, 5000);
  EXPECT_NEAR(e.ess, 20000, 2000);
  EXPECT_NEAR(e.tau_int, 1.0, 0.1);
  EXPECT_FALSE(e.constant);
}

TEST(GeyerEss, Ar1MatchesItsIntegratedAutocorrelationTime) {
  for (const double rho : {0.5, 0.9}) {
    SCOPED_TRACE(rho);
    const std::int64_t chains = 4, length = 50000;
    const auto series = ar1(rho, chains, length, 11);
    const double tau = (1 + rho) / (1 - rho);
    const EffectiveSampleSize e = geyer_ess(series, chains, length);
    EXPECT_NEAR(e.tau_int, tau, 0.1 * tau);
    EXPECT_NEAR(e.ess, chains * length / tau, 0.1 * chains * length / tau);
    // Sokal's windowed estimate, on the same lagged sums, agrees.
    EXPECT_NEAR(integrated_autocorrelation(series, chains, length).tau_int, e.tau_int, 0.1 * tau);
  }
}

TEST(GeyerEss, StuckChainsGiveASmallEssAndConstantSeriesAreFlagged) {
  // Two chains of i.i.d. noise around different means: each alone mixes, together they do not.
  auto series = ar1(0.0, 2, 1000, 13);
  for (std::size_t i = 1000; i < series.size(); ++i) series[i] += 10.0;
  EXPECT_LT(geyer_ess(series, 2, 1000).ess, 20.0);
  const std::vector<double> flat(40, 2.5);
  const EffectiveSampleSize c = geyer_ess(flat, 4, 10);
  EXPECT_TRUE(c.constant);
  EXPECT_EQ(c.ess, 40.0);
  EXPECT_THAT(testing::error_of([] { geyer_ess(std::vector<double>(6), 2, 3); }),
              HasSubstr("4 or more"));
  EXPECT_THAT(testing::error_of([] { geyer_ess(std::vector<double>(7), 2, 4); }),
              HasSubstr("7 values for 2 chains of 4"));
  const std::vector<double> inf = {1, 2, INFINITY, 4};
  EXPECT_THAT(testing::error_of([&] { geyer_ess(inf, 1, 4); }), HasSubstr("non-finite"));
}

TEST(SplitRhat, MixedChainsAreNearOne) {
  const auto series = ar1(0.3, 4, 2000, 17);
  EXPECT_NEAR(split_rhat(series, 4, 2000), 1.0, 0.01);
  // One chain: its halves only.
  EXPECT_NEAR(split_rhat(std::span(series).first(2000), 1, 2000), 1.0, 0.01);
}

TEST(SplitRhat, FlagsChainsStuckInDifferentModesAndTrends) {
  auto stuck = ar1(0.3, 4, 500, 19);
  for (std::size_t i = 1000; i < stuck.size(); ++i) stuck[i] += 3.0;  // chains 2 and 3
  EXPECT_GT(split_rhat(stuck, 4, 500), 1.1);
  // A single chain that drifts: its halves disagree.
  std::vector<double> trend = ar1(0.3, 1, 1000, 23);
  for (std::size_t t = 0; t < trend.size(); ++t) trend[t] += 4.0 * t / trend.size();
  EXPECT_GT(split_rhat(trend, 1, 1000), 1.1);
  // Odd lengths leave the middle value out.
  EXPECT_NEAR(split_rhat(std::span(trend).first(999), 1, 999), split_rhat(trend, 1, 1000), 0.05);
}

TEST(SplitRhat, ConstantSeriesAreOneAndConstantChainsThatDifferAreInfinite) {
  EXPECT_EQ(split_rhat(std::vector<double>(12, 1.0), 3, 4), 1.0);
  std::vector<double> two(8, 0.0);
  for (int t = 4; t < 8; ++t) two[t] = 1.0;
  EXPECT_TRUE(std::isinf(split_rhat(two, 2, 4)));
  EXPECT_THAT(testing::error_of([] { split_rhat(std::vector<double>(3), 1, 3); }),
              HasSubstr("4 or more"));
}

TEST(MarginalError, HandExample) {
  const auto m = testing::compile_text(R"(
    variables { name: "a" cardinality: 2 }
    variables { name: "b" cardinality: 3 })");
  const std::vector<double> estimate = {0.6, 0.4, 0.2, 0.3, 0.5};
  const std::vector<double> exact = {0.5, 0.5, 0.2, 0.5, 0.3};
  const MarginalError e = marginal_error(*m.graph, estimate, exact);
  EXPECT_NEAR(e.mean_tv, 0.15, 1e-12);
  EXPECT_NEAR(e.max_tv, 0.2, 1e-12);
  EXPECT_NEAR(e.max_abs, 0.2, 1e-12);
  EXPECT_EQ(e.worst_variable, 1);
  EXPECT_EQ(marginal_error(*m.graph, exact, exact).max_tv, 0.0);
  EXPECT_THAT(
      testing::error_of([&] { marginal_error(*m.graph, std::span(estimate).first(4), exact); }),
      HasSubstr("estimated marginals have 4 values; the model has 5"));
  const std::vector<double> nan = {0.5, 0.5, NAN, 0.5, 0.3};
  EXPECT_THAT(testing::error_of([&] { marginal_error(*m.graph, estimate, nan); }),
              HasSubstr("not finite"));
}

const char* kTwoBinary = R"(
  variables { name: "x" shape: [2] cardinality: 2 }
  variables { name: "c" cardinality: 3 })";

TEST(ConvergenceMonitor, CountsGiveTheSplitRhatOfTheIndicatorsWhateverTheSegments) {
  // 16 kept sweeps with 4 segments: the counts are merged twice and the halves are exact.
  const auto m = testing::compile_text(kTwoBinary);
  ConvergenceOptions o;
  o.max_segments = 4;
  o.trace_capacity = 8;
  ConvergenceMonitor monitor(m, 2, o);
  std::mt19937_64 gen(3);
  const std::int64_t length = 16;
  std::vector<double> x0(2 * length), c2(2 * length), group_x(2 * length);
  Chains chains(2, 3);
  for (std::int64_t t = 0; t < length; ++t) {
    for (std::int32_t b = 0; b < 2; ++b) {
      auto s = chains.chain(b);
      // Chain 1 prefers state 1 of x[0] later in the run: a drift R̂ should see.
      s[0] = (gen() % 4) < (b == 1 && t >= 8 ? 3u : 1u) ? 1 : 0;
      s[1] = static_cast<std::int32_t>(gen() % 2);
      s[2] = static_cast<std::int32_t>(gen() % 3);
      x0[b * length + t] = s[0];
      c2[b * length + t] = s[2] == 2;
      group_x[b * length + t] = (s[0] + s[1]) / 2.0;
    }
    monitor.on_sample(t, chains);
  }
  const ConvergenceReport r = monitor.report();
  EXPECT_EQ(r.kept_sweeps, length);
  EXPECT_EQ(r.rhat_half_length, length / 2);
  EXPECT_NEAR(r.variable_rhat[0], split_rhat(x0, 2, length), 1e-12);
  EXPECT_GE(r.variable_rhat[2], split_rhat(c2, 2, length) - 1e-12);  // max over the 3 states
  EXPECT_EQ(r.max_rhat, *std::max_element(r.variable_rhat.begin(), r.variable_rhat.end()));
  // The traces were thinned once: every second kept sweep, 8 points per chain.
  EXPECT_EQ(r.trace_stride, 2);
  EXPECT_EQ(r.trace_length, 8);
  std::vector<double> thinned;
  for (std::int32_t b = 0; b < 2; ++b)
    for (std::int64_t t = 0; t < length; t += 2) thinned.push_back(group_x[b * length + t]);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].group, "x");
  EXPECT_NEAR(r.groups[0].mean.rhat, split_rhat(thinned, 2, 8), 1e-12);
  EXPECT_NEAR(r.groups[0].mean.tau_int, 2 * geyer_ess(thinned, 2, 8).tau_int, 1e-12);
  // Without evidence, f(x) of a model with no factors is 0 throughout.
  EXPECT_TRUE(r.energy.constant);
  EXPECT_EQ(r.energy.rhat, 1.0);
}

TEST(ConvergenceMonitor, FewSamplesLeaveRhatUncomputedAndClampedVariablesOut) {
  const auto m =
      testing::compile_text(std::string(kTwoBinary) + R"(evidence { variable: "x[1]" value: 1 })");
  ConvergenceMonitor monitor(m, 1);
  Chains chains(1, 3);
  chains.chain(0)[1] = 1;
  monitor.on_sample(0, chains);
  ConvergenceReport r = monitor.report();
  EXPECT_EQ(r.rhat_half_length, 0);
  EXPECT_TRUE(std::isnan(r.max_rhat));
  EXPECT_FALSE(r.energy.computed());
  for (int t = 1; t < 10; ++t) monitor.on_sample(t, chains);
  r = monitor.report();
  EXPECT_EQ(r.rhat_half_length, 5);
  EXPECT_EQ(r.max_rhat, 1.0);
  EXPECT_TRUE(std::isnan(r.variable_rhat[1]));  // clamped
  EXPECT_THAT(testing::error_of([&] { monitor.on_sample(10, Chains(2, 3)); }),
              HasSubstr("built for 1 chains"));
  ConvergenceOptions bad;
  bad.max_segments = 5;
  EXPECT_THAT(testing::error_of([&] { ConvergenceMonitor(m, 1, bad); }), HasSubstr("even"));
}

// Gibbs on `model` from `rows` (chain b starts at row b mod rows), 8 chains.
ConvergenceReport gibbs_report(const engine::CompiledModel& model,
                               const std::vector<std::int32_t>& rows, std::int64_t num_rows,
                               std::int64_t sweeps) {
  SessionOptions o;
  o.sampler = "gibbs";
  o.chains = 8;
  o.seed = 5;
  o.threads = 2;
  o.start = StartPolicy::kRows;
  o.start_rows = rows;
  o.num_start_rows = num_rows;
  Session session(model, o);
  ConvergenceMonitor monitor(model, 8);
  RunObserver* observers[] = {&monitor};
  session.run(Budget::for_sweeps(sweeps), observers);
  return monitor.report();
}

TEST(ConvergenceMonitor, ChainsStuckInDifferentModesAreFlaggedAndTheVariableNamed) {
  // x[0], x[1] coupled so strongly that single-site Gibbs never flips them (about e^−15 per
  // update); z is free and mixes at once. The field makes f(x) differ between the two modes.
  const auto m = testing::compile_text(R"(
    variables { name: "z" cardinality: 2 }
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "J" value: 8 }
    parameters { name: "h" value: 0.5 }
    factors { name: "bond" ising { coupling: "J" } scope: "x[0] x[1]" }
    factors { name: "field" unary { field: "h" } each: "x" })");
  const ConvergenceReport r = gibbs_report(m, {0, 0, 0, 1, 1, 1}, 2, 400);
  EXPECT_GT(r.max_rhat, 1.01);
  EXPECT_THAT(r.worst_variable_name, AnyOf("x[0]", "x[1]"));
  EXPECT_LT(r.variable_rhat[0], 1.01);  // z
  EXPECT_GT(r.energy.rhat, 1.1);
  EXPECT_LT(r.energy.ess, 50.0);
  EXPECT_GT(r.groups[1].mean.rhat, 1.1);  // x's mean differs between the modes
  EXPECT_LT(r.groups[1].mean.ess, 50.0);
}

TEST(ConvergenceMonitor, AWellMixedRunPasses) {
  const auto m = testing::compile_text(R"(
    variables { name: "s" shape: [6] cardinality: 2 }
    variables { name: "k" cardinality: 3 }
    parameters { name: "J" value: 0.3 }
    parameters { name: "h" value: 0.2 }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "field" unary { field: "h" } each: "s" })");
  const ConvergenceReport r = gibbs_report(m, std::vector<std::int32_t>(7, 0), 1, 3000);
  EXPECT_LT(r.max_rhat, 1.01);
  // f on the first 4 chains, at most 256 points each: 3000 kept sweeps are recorded every 16th.
  EXPECT_EQ(r.energy_chains, 4);
  EXPECT_EQ(r.energy_trace_stride, 16);
  EXPECT_EQ(r.energy_trace_length, 188);
  EXPECT_GT(r.energy.ess, 0.8 * 4 * 188);
  EXPECT_LT(r.energy.rhat, 1.01);
  // The group means on all 8 chains, at most 1024 points each.
  EXPECT_EQ(r.trace_stride, 4);
  EXPECT_EQ(r.trace_length, 750);
}

}  // namespace
}  // namespace dgm::inference
