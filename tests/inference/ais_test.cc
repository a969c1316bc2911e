// Annealed importance sampling (inference/ais): the estimate agrees with the exact log Z within
// its reported ±3σ interval on RBMs (hidden layer summed out, batch path; and the factor-graph
// path), Ising and Potts lattices, with evidence and with hard factors; results do not depend
// on the number of threads; bad options are refused.
//
// Checked by hand once (not kept as a test, since it needs a broken build): with the β
// weighting removed from the factor-graph transition — the Gibbs updates drawn from p_1 instead
// of p_β (logp = t in generic_ais.cc) — Ising4x4WithFieldMatchesExact fails: the estimate came
// out at 18.45, interval [18.28, 18.59], against the exact 14.25 (and the Potts, clamped-hidden
// and factor-graph RBM tests fail likewise); with the RBM batch path's hidden units drawn at
// β = 1 instead of β (σ(a) for σ((1 − β)c⁰ + βa) in rbm_ais.cc) Rbm25HiddenMatchesExact fails:
// 38.44, interval [38.39, 38.50], against the exact 38.09. The correct code gives 14.25
// [14.17, 14.32] and 38.12 [38.06, 38.18].
#include "inference/ais/ais.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "inference/ais/base_model.h"
#include "inference/ais/beta_schedule.h"
#include "inference/ais/importance_weights.h"
#include "inference/ais/rbm_ais.h"
#include "inference/exact/junction_tree.h"
#include "inference/exact/rbm_log_z.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using testing::compile_text;
using testing::error_of;
using ::testing::HasSubstr;

std::string rbm_text(int nv, int nh, double scale, std::uint64_t seed,
                     const std::string& extra = "") {
  const std::string sd = std::to_string(scale);
  return "variables { name: \"v\" shape: [" + std::to_string(nv) +
         "] cardinality: 2 }\n"
         "variables { name: \"h\" shape: [" +
         std::to_string(nh) +
         "] cardinality: 2 }\n"
         "parameters { name: \"W\" shape: [" +
         std::to_string(nv) + ", " + std::to_string(nh) + "] init { normal { stddev: " + sd +
         " } seed: " + std::to_string(seed) +
         " } }\n"
         "parameters { name: \"b\" shape: [" +
         std::to_string(nv) +
         "] init { normal { mean: -0.5 stddev: 0.5 } seed: " + std::to_string(seed + 1) +
         " } }\n"
         "parameters { name: \"c\" shape: [" +
         std::to_string(nh) + "] init { normal { stddev: 0.5 } seed: " + std::to_string(seed + 2) +
         " } }\n"
         "factors { name: \"w\" bipartite { left: \"v\" right: \"h\" weights: \"W\" } }\n"
         "factors { name: \"bv\" unary { log_odds: \"b\" } each: \"v\" }\n"
         "factors { name: \"bh\" unary { log_odds: \"c\" } each: \"h\" }\n" +
         extra;
}

void expect_within(const AisResult& r, double exact, const std::string& what) {
  ASSERT_TRUE(r.completed) << what;
  EXPECT_LE(r.log_z_low, exact) << what << ": estimate " << r.log_z << " exact " << exact;
  EXPECT_GE(r.log_z_high, exact) << what << ": estimate " << r.log_z << " exact " << exact;
  // A useful interval, not one that is wide enough to contain anything.
  EXPECT_LT(r.log_z_high - r.log_z_low, 0.5) << what;
}

TEST(AisSchedule, SalakhutdinovMurraySpacing) {
  const std::vector<double> b = annealing_schedule();
  ASSERT_EQ(b.size(), 14501u);
  EXPECT_EQ(b[0], 0.0);
  EXPECT_EQ(b[500], 0.5);
  EXPECT_EQ(b[4500], 0.9);
  EXPECT_EQ(b[14500], 1.0);
  EXPECT_NEAR(b[1], 1e-3, 1e-15);
  EXPECT_NEAR(b[501] - b[500], 1e-4, 1e-15);
  EXPECT_NEAR(b[14500] - b[14499], 1e-5, 1e-15);
  const std::vector<double> s = annealing_schedule(30);
  ASSERT_EQ(s.size(), 30u);
  EXPECT_NO_THROW(validate_schedule(s));
  EXPECT_EQ(annealing_schedule(2), (std::vector<double>{0.0, 1.0}));
  EXPECT_NO_THROW(validate_schedule(annealing_schedule(3)));
}

TEST(AisWeights, SummaryOfHandMadeWeights) {
  // Weights 1, 2, 3 (times e^10): mean 2, sample sd 1, standard error 1/√3.
  const double shift = 10.0;
  const std::vector<double> lw = {shift, shift + std::log(2.0), shift + std::log(3.0)};
  const WeightSummary s = summarise_log_weights(lw);
  EXPECT_NEAR(s.log_mean, shift + std::log(2.0), 1e-12);
  const double se = 1.0 / std::sqrt(3.0);
  EXPECT_NEAR(s.log_high, shift + std::log(2.0 + 3 * se), 1e-12);
  EXPECT_NEAR(s.log_low, shift + std::log(2.0 - 3 * se), 1e-12);
  EXPECT_NEAR(s.effective_sample_size, 36.0 / 14.0, 1e-12);
  // A zero weight and a spread that reaches 0: the lower end is −∞.
  const WeightSummary z = summarise_log_weights(std::vector<double>{0.0, -INFINITY});
  EXPECT_EQ(z.zero_weights, 1);
  EXPECT_EQ(z.log_low, -INFINITY);
  EXPECT_NEAR(z.log_mean, std::log(0.5), 1e-12);
}

TEST(AisRbm, ExactRbmLogZEqualsJunctionTree) {
  for (const std::string& extra :
       {std::string(), std::string("evidence { variable: \"v[1]\" value: 1 }\n"
                                   "evidence { variable: \"h[0]\" value: 0 }\n"
                                   "evidence { variable: \"h[2]\" value: 1 }\n")}) {
    const engine::CompiledModel small = compile_text(rbm_text(7, 5, 0.8, 3, extra));
    EXPECT_NEAR(rbm_exact_log_z(small), exact_log_z(small), 1e-9) << extra;
    const engine::CompiledModel wide = compile_text(rbm_text(4, 9, 0.8, 5, extra));
    EXPECT_NEAR(rbm_exact_log_z(wide), exact_log_z(wide), 1e-9) << extra;
  }
  const engine::CompiledModel m = compile_text(rbm_text(30, 30, 0.1, 1));
  EXPECT_THAT(error_of([&] { rbm_exact_log_z(m, 1000); }), HasSubstr("over the limit 1000"));
}

TEST(AisRbm, Rbm25HiddenMatchesExact) {
  const engine::CompiledModel m = compile_text(rbm_text(20, 25, 0.4, 11));
  const double exact = rbm_exact_log_z(m);
  AisOptions o;
  o.runs = 100;
  o.num_betas = 2000;
  o.seed = 1;
  const AisResult r = ais_log_z(m, o);
  EXPECT_TRUE(r.rbm_path);
  expect_within(r, exact, "rbm 20x25");
  EXPECT_GT(r.effective_sample_size, 50.0);
  EXPECT_EQ(r.zero_weight_runs, 0);
}

TEST(AisRbm, BatchAndFactorGraphPathsAgreeWithExactWithEvidenceAndDataBase) {
  const engine::CompiledModel m = compile_text(rbm_text(
      8, 6, 0.7, 21,
      "evidence { variable: \"v[0]\" value: 1 }\nevidence { variable: \"v[5]\" value: 0 }\n"));
  const double exact = exact_log_z(m);
  // A non-uniform base (as from data marginals) on the visible units and the hidden units.
  std::vector<double> counts(static_cast<std::size_t>(m.graph->state_offset.back()), 0.0);
  for (std::int32_t v = 0; v < m.graph->num_variables(); ++v) {
    counts[static_cast<std::size_t>(m.graph->state_offset[v])] = 10 + v;
    counts[static_cast<std::size_t>(m.graph->state_offset[v]) + 1] = 30 - v;
  }
  AisOptions o;
  o.runs = 64;
  o.num_betas = 500;
  o.seed = 4;
  o.base_log_potentials = base_from_state_counts(*m.graph, counts, 1.0);
  const AisResult batch = ais_log_z(m, o);
  EXPECT_TRUE(batch.rbm_path);
  expect_within(batch, exact, "batch");
  o.generic_only = true;
  const AisResult generic = ais_log_z(m, o);
  EXPECT_FALSE(generic.rbm_path);
  expect_within(generic, exact, "factor graph");
  EXPECT_DOUBLE_EQ(batch.log_z_base, generic.log_z_base);
}

// A finite weight that float cannot hold (the batch path's products are float) sends the model
// to the factor-graph path, in double; a mutation that keeps the batch path fails.
TEST(AisRbm, WeightBeyondFloatRangeTakesTheFactorGraphPath) {
  engine::CompiledModel m = compile_text(rbm_text(6, 4, 0.7, 8));
  EXPECT_TRUE(rbm_ais_applies(m));
  const auto& w = m.params.info[static_cast<std::size_t>(m.params.find("W"))];
  m.params.values[static_cast<std::size_t>(w.offset + 3)] = 1e39;
  EXPECT_FALSE(rbm_ais_applies(m));
  m.params.values[static_cast<std::size_t>(w.offset + 3)] = 3.0e38;
  EXPECT_TRUE(rbm_ais_applies(m));
}

TEST(AisRbm, ClampedHiddenUnitTakesTheFactorGraphPath) {
  const engine::CompiledModel m =
      compile_text(rbm_text(6, 4, 0.7, 8, "evidence { variable: \"h[1]\" value: 1 }\n"));
  EXPECT_FALSE(rbm_ais_applies(m));
  AisOptions o;
  o.runs = 64;
  o.num_betas = 500;
  const AisResult r = ais_log_z(m, o);
  EXPECT_FALSE(r.rbm_path);
  expect_within(r, exact_log_z(m), "clamped hidden");
}

const char* kIsing4x4 = R"(
  variables { name: "s" shape: [4, 4] cardinality: 2 }
  parameters { name: "J" value: 0.45 }
  parameters { name: "h" value: 0.1 }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" neighbourhood: 4 } }
  factors { name: "field" unary { field: "h" } each: "s" }
)";

TEST(AisGeneric, Ising4x4WithFieldMatchesExact) {
  const engine::CompiledModel m = compile_text(kIsing4x4);
  AisOptions o;
  o.runs = 100;
  o.num_betas = 1000;
  o.seed = 2;
  const AisResult r = ais_log_z(m, o);
  EXPECT_FALSE(r.rbm_path);
  EXPECT_NEAR(r.log_z_base, 16 * std::log(2.0), 1e-12);
  expect_within(r, exact_log_z(m), "ising 4x4");
}

TEST(AisGeneric, PottsWithEvidenceMatchesExact) {
  const engine::CompiledModel m = compile_text(R"(
    variables { name: "x" shape: [3, 4] cardinality: 3 }
    parameters { name: "J" value: 0.8 }
    parameters { name: "u" shape: [12, 3] init { normal { stddev: 0.5 } seed: 3 } }
    factors { name: "bonds" potts { coupling: "J" } lattice { group: "x" neighbourhood: 4 } }
    factors { name: "fields" unary { log_potentials: "u" } each: "x" }
    evidence { variable: "x[0,0]" value: 2 }
    evidence { variable: "x[2,3]" value: 0 }
  )");
  AisOptions o;
  o.runs = 100;
  o.num_betas = 1000;
  o.seed = 3;
  const AisResult r = ais_log_z(m, o);
  EXPECT_NEAR(r.log_z_base, 10 * std::log(3.0), 1e-12);  // two of the twelve are clamped
  expect_within(r, exact_log_z(m), "potts with evidence");
}

TEST(AisGeneric, HardFactorsKillOnlyTheRunsThatStartOutsideTheSupport) {
  const engine::CompiledModel m =
      engine::load_compiled(testing::source_path("examples/logic_or_and.pbtxt"));
  AisOptions o;
  o.runs = 200;
  o.num_betas = 300;
  o.seed = 5;
  const AisResult r = ais_log_z(m, o);
  EXPECT_GT(r.zero_weight_runs, 0);
  EXPECT_LT(r.zero_weight_runs, 200);
  EXPECT_LT(r.effective_sample_size, 200 - r.zero_weight_runs + 1e-9);
  ASSERT_TRUE(r.completed);
  EXPECT_LE(r.log_z_low, exact_log_z(m));
  EXPECT_GE(r.log_z_high, exact_log_z(m));
}

TEST(AisThreads, BitIdenticalForOneAndTwoThreads) {
  const engine::CompiledModel rbm = compile_text(rbm_text(300, 140, 0.05, 9));
  const engine::CompiledModel ising = compile_text(kIsing4x4);
  for (const engine::CompiledModel* m : {&rbm, &ising}) {
    AisOptions o;
    o.runs = 40;
    o.num_betas = 200;
    o.seed = 7;
    o.threads = 1;
    const AisResult one = ais_log_z(*m, o);
    o.threads = 2;
    const AisResult two = ais_log_z(*m, o);
    EXPECT_EQ(one.log_weights, two.log_weights);
    EXPECT_EQ(one.log_z, two.log_z);
    o.seed = 8;  // and the seed matters
    EXPECT_NE(ais_log_z(*m, o).log_weights, one.log_weights);
  }
}

TEST(AisOptionsTest, BadOptionsAreRefused) {
  const engine::CompiledModel m = compile_text(kIsing4x4);
  auto with = [&](auto change) {
    AisOptions o;
    o.num_betas = 10;
    change(o);
    return error_of([&] { ais_log_z(m, o); });
  };
  EXPECT_THAT(with([](AisOptions& o) { o.runs = 1; }), HasSubstr("at least 2 runs"));
  EXPECT_THAT(with([](AisOptions& o) { o.num_betas = 1; }), HasSubstr("at least 2"));
  EXPECT_THAT(with([](AisOptions& o) { o.threads = -1; }), HasSubstr("threads"));
  EXPECT_THAT(with([](AisOptions& o) {
                o.betas = {0.0, 0.5, 0.5, 1.0};
              }),
              HasSubstr("increase strictly; β[2] = 0.5"));
  EXPECT_THAT(with([](AisOptions& o) { o.betas = {0.1, 1.0}; }), HasSubstr("start at 0"));
  EXPECT_THAT(with([](AisOptions& o) { o.betas = {0.0, 0.9}; }), HasSubstr("end at 1"));
  EXPECT_THAT(with([](AisOptions& o) { o.base_log_potentials = {1.0}; }),
              HasSubstr("1 log-potentials; the model has 32 states"));
  EXPECT_THAT(with([](AisOptions& o) {
                o.base_log_potentials.assign(32, 0.0);
                o.base_log_potentials[5] = -INFINITY;
              }),
              HasSubstr("s[0,2] = 1 is -inf"));
  EXPECT_THAT(
      error_of([&] { base_from_state_counts(*m.graph, std::vector<double>(32, 1.0), 0.0); }),
      HasSubstr("pseudo-count must be positive"));
}

TEST(AisOptionsTest, StopFlagAndProgress) {
  const engine::CompiledModel m = compile_text(kIsing4x4);
  std::atomic<bool> stop{false};
  std::int64_t calls = 0, last = 0;
  AisOptions o;
  o.num_betas = 1000;
  o.stop = &stop;
  o.progress = [&](std::int64_t done, std::int64_t total) {
    ++calls;
    last = done;
    EXPECT_EQ(total, 1000);
    if (done >= 300) stop = true;
  };
  const AisResult r = ais_log_z(m, o);
  EXPECT_FALSE(r.completed);
  EXPECT_TRUE(std::isnan(r.log_z));
  EXPECT_EQ(r.betas_done, last);
  EXPECT_LT(r.betas_done, 1000);
  EXPECT_GT(calls, 1);
}

}  // namespace
}  // namespace dgm::inference
