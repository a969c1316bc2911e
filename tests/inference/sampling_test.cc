// The machinery every sampler shares: chain initialisation, the run loop's burn-in and
// thinning, the marginal estimator and its batch-means error, sample files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using ::testing::HasSubstr;

const char* kModel = R"(
  variables { name: "x" shape: [5] cardinality: 3 }
  variables { name: "b" shape: [2] cardinality: 2 }
  parameters { name: "J" value: 0.3 }
  factors { name: "p" potts { coupling: "J" } lattice { group: "x" } }
  evidence { variable: "b[1]" value: 1 })";

// A sampler for testing the loop: sets every free variable of chain b to (sweep + b) mod K.
class CountingSampler : public Sampler {
 public:
  explicit CountingSampler(const engine::CompiledModel& m) : model_(m) {}
  std::string_view name() const override { return "counting"; }
  void refresh_parameters() override {}
  SweepStats sweep(Chains& chains, std::int64_t sweep) override {
    SweepStats stats;
    for (std::int32_t b = 0; b < chains.num_chains(); ++b)
      for (std::int32_t v = 0; v < chains.num_variables(); ++v) {
        if (model_.evidence[v] != engine::kFree) continue;
        chains.chain(b)[v] = static_cast<std::int32_t>((sweep + b) % model_.graph->cardinality[v]);
        ++stats.site_updates;
      }
    return stats;
  }

 private:
  const engine::CompiledModel& model_;
};

class Recorder : public RunObserver {
 public:
  std::vector<std::int64_t> kept, seen;
  std::int64_t stop_after = -1;
  void on_sample(std::int64_t sweep, const Chains&) override { kept.push_back(sweep); }
  bool on_sweep(std::int64_t sweep, const Chains&, const SweepStats&) override {
    seen.push_back(sweep);
    return stop_after < 0 || sweep + 1 < stop_after;
  }
};

TEST(Chains, UniformInitIsReproducibleAndRespectsEvidence) {
  const auto m = testing::compile_text(kModel);
  Chains a(8, m.graph->num_variables()), b(8, m.graph->num_variables());
  init_uniform(a, m, 3);
  init_uniform(b, m, 3);
  EXPECT_TRUE(std::equal(a.states().begin(), a.states().end(), b.states().begin()));
  for (std::int32_t c = 0; c < 8; ++c) {
    EXPECT_EQ(a.chain(c)[6], 1);
    for (std::int32_t v = 0; v < 5; ++v) EXPECT_TRUE(a.chain(c)[v] >= 0 && a.chain(c)[v] < 3);
  }
  init_uniform(b, m, 4);
  EXPECT_FALSE(std::equal(a.states().begin(), a.states().end(), b.states().begin()));
}

TEST(Chains, RowsAreValidatedAndCycled) {
  const auto m = testing::compile_text(kModel);
  Chains c(3, 7);
  const std::vector<std::int32_t> rows = {0, 1, 2, 0, 1, 0, 0, 2, 2, 2, 2, 2, 1, 0};
  init_from_rows(c, m, rows, 2, "rows.npy");
  EXPECT_EQ(c.chain(2)[0], 0);  // row 0 again
  EXPECT_EQ(c.chain(1)[6], 1);  // evidence wins over the row's 0
  const std::vector<std::int32_t> bad = {0, 1, 5, 0, 1, 0, 0};
  try {
    init_from_rows(c, m, bad, 1, "rows.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("rows.npy: row 0, variable x[2]: state 5 out of range"));
  }
}

TEST(Chains, ZeroProbabilityStartIsReported) {
  const auto m = testing::compile_text(R"(
    variables { name: "p" shape: [2] cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    factors { name: "or" logical_or { parents: "p" child: "c" } })");
  Chains c(1, 3);
  const std::vector<std::int32_t> bad = {1, 0, 0};
  init_from_rows(c, m, bad, 1, "start");
  try {
    require_positive_probability(c, m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("probability zero"));
    EXPECT_THAT(e.what(), HasSubstr("'or'"));
  }
  const std::vector<std::int32_t> good = {1, 0, 1};
  init_from_rows(c, m, good, 1, "start");
  EXPECT_NO_THROW(require_positive_probability(c, m));
}

TEST(Run, BurnInThinningAndEarlyStop) {
  const auto m = testing::compile_text(kModel);
  CountingSampler sampler(m);
  Chains chains(2, m.graph->num_variables());
  Recorder rec;
  RunObserver* observers[] = {&rec};
  RunOptions options;
  options.sweeps = 20;
  options.burn_in = 5;
  options.thin = 4;
  const RunSummary s = run_sampler(sampler, chains, options, observers);
  EXPECT_EQ(s.sweeps_done, 20);
  EXPECT_EQ(s.kept_sweeps, 3);
  EXPECT_EQ(rec.kept, (std::vector<std::int64_t>{8, 12, 16}));
  EXPECT_EQ(s.totals.site_updates, 20 * 2 * 6);
  Recorder stop;
  stop.stop_after = 7;
  RunObserver* o2[] = {&stop};
  const RunSummary t = run_sampler(sampler, chains, options, o2);
  EXPECT_EQ(t.sweeps_done, 7);
  EXPECT_TRUE(t.stopped_early);
  options.thin = 0;
  EXPECT_THROW(run_sampler(sampler, chains, options), Error);
}

TEST(MarginalEstimator, MeansAndBatchStandardErrors) {
  const auto m = testing::compile_text(kModel);
  CountingSampler sampler(m);
  Chains chains(3, m.graph->num_variables());
  init_uniform(chains, m, 1);
  MarginalEstimator est(*m.graph);
  RunObserver* observers[] = {&est};
  RunOptions options;
  options.sweeps = 6;  // each chain visits states 0,1,2 twice: every chain mean is 1/3
  run_sampler(sampler, chains, options, observers);
  const auto p = est.marginals();
  const auto se = est.standard_errors();
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(p[k], 1.0 / 3, 1e-12);
    EXPECT_NEAR(se[k], 0.0, 1e-12);
  }
  EXPECT_DOUBLE_EQ(p[m.graph->state_offset[6] + 1], 1.0);  // clamped
}

TEST(SampleWriter, NpyIsValidAfterEveryKeptSweepAndCsvHasNames) {
  const auto m = testing::compile_text(kModel);
  const std::string dir = testing::scratch_dir();
  CountingSampler sampler(m);
  Chains chains(2, m.graph->num_variables());
  {
    SampleWriter npy(dir + "/s.npy", *m.graph);
    SampleWriter csv(dir + "/s.csv", *m.graph);
    RunObserver* observers[] = {&npy, &csv};
    RunOptions options;
    options.sweeps = 4;
    run_sampler(sampler, chains, options, observers);
    // Readable while still open: the header already says 8 rows.
    const engine::NpyArray partial = engine::read_npy(dir + "/s.npy", true);
    EXPECT_EQ(partial.shape, (std::vector<std::int64_t>{8, 7}));
    EXPECT_EQ(npy.dtype(), "|u1");
  }
  const engine::NpyArray a = engine::read_npy(dir + "/s.npy", true);
  EXPECT_EQ(a.values[7 * 1 + 0], 1.0);  // sweep 0, chain 1: (0 + 1) mod 3
  std::ifstream in(dir + "/s.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "\"x[0]\",\"x[1]\",\"x[2]\",\"x[3]\",\"x[4]\",\"b[0]\",\"b[1]\"");
  EXPECT_THROW(SampleWriter(dir + "/s.txt", *m.graph), Error);
}

}  // namespace
}  // namespace dgm::inference
