// dgm marginals / map / logz --method bp and dgm sample --sampler pmp end to end: answers equal
// the exact ones where BP is exact (factor-graph trees), the options reach the engine, bad
// settings are clear errors, and PMP's samples, figures and configuration file work.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/npy.h"
#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::HasSubstr;
using testing::run_dgm;
using testing::source_path;

const std::string kLawn = source_path("examples/logic_or_and.pbtxt");
const std::string kChain = source_path("examples/tiny_chain.pbtxt");

TEST(BpCli, MarginalsAndLogZEqualExactOnAFactorGraphTree) {
  const auto bp = run_dgm("marginals '" + kLawn + "' --method bp --tolerance 1e-12 --format json");
  const auto exact = run_dgm("marginals '" + kLawn + "' --format json");
  ASSERT_EQ(bp.exit_code, 0) << bp.err;
  ASSERT_EQ(exact.exit_code, 0) << exact.err;
  const auto a = nlohmann::json::parse(bp.out), b = nlohmann::json::parse(exact.out);
  EXPECT_NEAR(a["log_z"].get<double>(), b["log_z"].get<double>(), 1e-6);
  EXPECT_THAT(a["detail"].get<std::string>(), HasSubstr("converged"));
  for (std::size_t v = 0; v < b["marginals"].size(); ++v) {
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_NEAR(a["marginals"][v]["p"][k].get<double>(), b["marginals"][v]["p"][k].get<double>(),
                  1e-6);
    }
  }
  const auto logz = run_dgm("logz '" + kChain + "' --method bp --schedule residual");
  ASSERT_EQ(logz.exit_code, 0) << logz.err;
  EXPECT_THAT(logz.out, HasSubstr("log Z    8.13083"));
  EXPECT_THAT(logz.out, HasSubstr("Bethe estimate"));
}

TEST(BpCli, SoftTemperaturesGiveBeliefsWithoutLogZ) {
  for (const char* t : {"0", "0.5"}) {
    const auto r =
        run_dgm("marginals '" + kLawn + "' --method bp --temperature " + t + " --format json");
    ASSERT_EQ(r.exit_code, 0) << t << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["log_z"], "nan");
    EXPECT_EQ(j["marginals"].size(), 7u);
  }
}

TEST(BpCli, ContradictionIsAnErrorForEverySchedule) {
  const std::string model = testing::write_file(testing::scratch_dir(), "or.pbtxt", R"(
    variables { name: "a" cardinality: 2 }
    variables { name: "b" cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    factors { name: "or" logical_or { parents: "a b" child: "c" } }
    evidence { variable: "a" value: 1 }
    evidence { variable: "c" value: 0 }
  )");
  for (const char* schedule : {"flooding", "sequential", "residual"}) {
    for (const char* query : {"map", "marginals", "logz"}) {
      const auto r =
          run_dgm(std::string(query) + " '" + model + "' --method bp --schedule " + schedule);
      EXPECT_EQ(r.exit_code, 1) << query << " " << schedule;
      EXPECT_THAT(r.err, HasSubstr("contradicts the hard constraints")) << query << " " << schedule;
    }
  }
}

TEST(BpCli, MapEqualsExactOnATreeAndReportsTheMethod) {
  const auto bp = run_dgm("map '" + kLawn + "' --method bp --format json");
  const auto exact = run_dgm("map '" + kLawn + "' --format json");
  ASSERT_EQ(bp.exit_code, 0) << bp.err;
  const auto a = nlohmann::json::parse(bp.out), b = nlohmann::json::parse(exact.out);
  EXPECT_EQ(a["map_state"], b["map_state"]);
  EXPECT_NEAR(a["map_log_potential"].get<double>(), b["map_log_potential"].get<double>(), 1e-9);
  EXPECT_THAT(a["detail"].get<std::string>(), HasSubstr("max-product"));
}

TEST(BpCli, UndampedOscillationIsAWarning) {
  // A frustrated triangle: undamped max-product oscillates; damping 0.5 converges.
  const std::string model = source_path("examples/frustrated_triangle.pbtxt");
  auto r = run_dgm("map '" + model + "' --method bp --damping 0 --iterations 60");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: BP did not converge"));
  EXPECT_THAT(r.err, HasSubstr("oscillate"));
  r = run_dgm("map '" + model + "' --method bp --iterations 300");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("converged"));
  EXPECT_EQ(r.err, "");
}

TEST(BpCli, BadSettingsAreErrors) {
  auto r = run_dgm("marginals '" + kChain + "' --method bp --damping 1.5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("damping must be in [0, 1)"));
  r = run_dgm("logz '" + kChain + "' --method bp --temperature 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("needs sum-product"));
  r = run_dgm("marginals '" + kChain + "' --method bp --schedule sideways");
  EXPECT_EQ(r.exit_code, 2);
  r = run_dgm("marginals '" + kChain + "' --method bp --iterations -3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("iterations must be ≥ 1"));
  r = run_dgm("marginals '" + kChain + "' --method bp --iterations 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("iterations must be ≥ 1"));
  for (const char* flag : {"--damping nan", "--tolerance nan", "--temperature nan",
                           "--temperature 1e-310", "--tolerance -1", "--temperature inf"}) {
    r = run_dgm("map '" + kChain + "' --method bp " + flag);
    EXPECT_EQ(r.exit_code, 1) << flag;
    EXPECT_THAT(r.err, HasSubstr("dgm: error: BP")) << flag;
  }
  r = run_dgm("marginals '" + kChain + "' --method exact --damping 0.2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("apply to --method bp only"));
}

TEST(PmpCli, SamplesFiguresAndConfigFile) {
  const std::string dir = testing::scratch_dir();
  const std::string config = testing::write_file(
      dir, "pmp.pbtxt",
      "pmp { bp { max_iterations: 30 damping: 0.5 } }\nrun { chains: 8 sweeps: 5 }\n");
  const auto r = run_dgm("sample '" + kLawn + "' --config '" + config + "' --out '" + dir +
                         "/s.npy' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sampler"], "pmp");
  EXPECT_EQ(j["samples"], 40);
  EXPECT_EQ(j["invalid_samples"], 0);
  EXPECT_TRUE(j.contains("log_z_upper_bound"));
  const engine::NpyArray a = engine::read_npy(dir + "/s.npy", true);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{40, 7}));
  // Evidence (wet = 1, walking = 1) holds in every sample.
  for (std::int64_t row = 0; row < 40; ++row) {
    EXPECT_EQ(a.values[row * 7 + 3], 1);
    EXPECT_EQ(a.values[row * 7 + 4], 1);
  }
}

TEST(PmpCli, MarginalsByPmpOnAnIndependentModelAreClose) {
  // tiny_chain's marginals by PMP (approximate in general) with standard errors; here only that
  // the command runs and reports them.
  const auto r = run_dgm("marginals '" + kChain + "' --method pmp --chains 32 --sweeps 50");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pmp, 32 chains"));
  EXPECT_THAT(r.out, HasSubstr("±"));
}

}  // namespace
}  // namespace dgm
