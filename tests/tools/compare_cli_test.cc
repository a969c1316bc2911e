// dgm compare from the command line: the ranked table, the JSON document and the CSV of points,
// outputs never written over inputs nor before the flags are checked, and the figures, drawn
// from a run and from a recorded JSON (tests/data/compare_recorded.json).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::HasSubstr;
using testing::run_dgm;

// Two modes (84% all up): PMP visibly biased, Gibbs exact but slow across modes.
constexpr const char* kFerromagnet = R"(
  variables { name: "s" shape: [3, 3] cardinality: 2 }
  parameters { name: "J" value: 1.0 }
  parameters { name: "h" value: 0.2 }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
  factors { name: "field" unary { log_odds: "h" } each: "s" })";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CompareCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    model_ = testing::write_file(dir_, "ferro.pbtxt", kFerromagnet);
  }
  std::string dir_, model_;
};

TEST_F(CompareCli, JsonHasTheRankingTheReferenceAndEveryPoint) {
  const std::string csv = dir_ + "/points.csv";
  const auto r = run_dgm("compare '" + model_ +
                         "' --samplers gibbs,pmp --budget-sweeps 300 --chains 32 --points 6 "
                         "--seed 5 --format json --csv '" +
                         csv + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "compare");
  EXPECT_EQ(j["reference"]["source"], "exact");
  EXPECT_TRUE(j["reference"]["exact"].get<bool>());
  EXPECT_GT(j["reference"]["floor_mmd2_biased"].get<double>(), 0.0);
  EXPECT_EQ(j["ranked_by"], "final_mmd2");
  ASSERT_EQ(j["ranking"].size(), 2u);
  EXPECT_EQ(j["ranking"][0], "gibbs");
  std::size_t points = 0;
  for (const auto& s : j["samplers"]) {
    EXPECT_EQ(s["sweeps"], 300);
    EXPECT_GE(s["points"].size(), 6u);
    points += s["points"].size();
    for (const char* key : {"ess_per_second", "ess_per_sweep", "ess_per_energy_evaluation",
                            "final_mmd2", "final_mmd2_over_floor", "marginal_error", "work"})
      EXPECT_TRUE(s.contains(key)) << key;
    EXPECT_GT(s["work"]["factor_evaluations"].get<double>(), 0.0);
  }
  const auto& pmp = j["samplers"][1];
  EXPECT_EQ(pmp["label"], "pmp");
  EXPECT_FALSE(pmp["sampler_exact"].get<bool>());
  EXPECT_GT(pmp["final_mmd2_over_floor"].get<double>(), 10.0);
  EXPECT_THAT(pmp["notes"][0].get<std::string>(), HasSubstr("the bias shows"));
  // The CSV: a header and one line per recorded point.
  std::istringstream lines(read(csv));
  std::string line;
  std::size_t rows = 0;
  std::getline(lines, line);
  EXPECT_THAT(line, HasSubstr("label,sampler,budget_fraction,sweeps,seconds"));
  while (std::getline(lines, line)) ++rows;
  EXPECT_EQ(rows, points);
}

TEST_F(CompareCli, TheTableIsRankedAndSaysWhatIsApproximate) {
  const auto r = run_dgm("compare '" + model_ +
                         "' --samplers pmp,gibbs --budget-sweeps 200 --chains 32 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("reference: "));
  EXPECT_THAT(r.out, HasSubstr("floor"));
  EXPECT_THAT(r.out, HasSubstr("1    gibbs"));
  EXPECT_THAT(r.out, HasSubstr("2    pmp"));
  EXPECT_THAT(r.out, HasSubstr("pmp: PMP (perturb-and-MAP"));
}

TEST_F(CompareCli, OutputsAreNeverInputsAndNothingIsWrittenOnBadFlags) {
  const std::string before = read(model_);
  auto r = run_dgm("compare '" + model_ + "' --samplers gibbs --budget-sweeps 10 --csv '" + model_ +
                   "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("is the model ("));
  EXPECT_EQ(read(model_), before);

  const std::string csv = dir_ + "/never.csv";
  r = run_dgm("compare '" + model_ +
              "' --samplers gibbs,no-such-sampler --budget-sweeps 10 --csv '" + csv + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("no-such-sampler"));
  EXPECT_FALSE(std::filesystem::exists(csv));

  r = run_dgm("compare '" + model_ + "' --chains 0 --budget-sweeps 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--chains must be"));
  r = run_dgm("compare '" + model_ + "' --budget-seconds -1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("budgets must be positive"));
  r = run_dgm("compare '" + model_ + "' --reference '" + dir_ + "/missing.npy' --budget-sweeps 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("missing.npy"));
}

TEST_F(CompareCli, PlotsFromARunAndFromARecordedJson) {
  if (const std::string why = testing::plotting_unavailable_reason(); !why.empty())
    GTEST_SKIP() << why;
  const std::string plots = dir_ + "/plots";
  auto r = run_dgm("compare '" + model_ +
                   "' --samplers gibbs,pmp --budget-sweeps 100 --chains 16 --points 5 --plot '" +
                   plots + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"compare.json", "mmd_seconds.png", "mmd_work.png", "energy.png",
                           "ess.png", "samples_gibbs.png", "samples_pmp.png"})
    EXPECT_TRUE(std::filesystem::exists(plots + "/" + name)) << name;

  const std::string redrawn = dir_ + "/redrawn";
  std::filesystem::create_directories(redrawn);
  r = run_dgm("plot compare --out-dir '" + redrawn + "' '" +
              testing::source_path("tests/data/compare_recorded.json") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"mmd_seconds.png", "mmd_work.png", "energy.png", "ess.png"})
    EXPECT_GT(std::filesystem::file_size(redrawn + "/" + name), 1000u) << name;

  r = run_dgm("plot compare --out-dir '" + redrawn + "' '" + model_ + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("not a JSON document"));
}

}  // namespace
}  // namespace dgm
