// dgm logz --method ais and dgm score end to end: the estimate and its interval against the
// exact log Z, the base from data, the JSON fields of docs/json.md, flags that do not apply, and
// bad data reported with file, row and column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "dgm.h"
#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::HasSubstr;
using testing::run_dgm;
using testing::source_path;

const std::string kChain = source_path("examples/tiny_chain.pbtxt");

const char* kRbm = R"(
variables { name: "v" shape: [6] cardinality: 2 }
variables { name: "h" shape: [5] cardinality: 2 }
parameters { name: "W" shape: [6, 5] init { normal { stddev: 0.8 } seed: 2 } learnable: true }
parameters { name: "b" shape: [6] init { normal { stddev: 0.5 } seed: 3 } learnable: true }
parameters { name: "c" shape: [5] init { normal { stddev: 0.5 } seed: 4 } learnable: true }
factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } }
factors { name: "bv" unary { log_odds: "b" } each: "v" }
factors { name: "bh" unary { log_odds: "c" } each: "h" }
)";

const char* kRbmData =
    "v0,v1,v2,v3,v4,v5\n1,0,1,1,0,0\n0,0,1,1,1,0\n1,1,1,0,0,0\n0,0,0,1,0,1\n1,0,1,0,0,1\n";

TEST(AisCli, LogZOfAChainIsWithinItsIntervalOfTheExactValue) {
  const auto r = run_dgm("logz '" + kChain + "' --method ais --betas 1000 --seed 3 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["method"], "ais");
  EXPECT_EQ(j["exact"], false);
  EXPECT_THAT(j["approximation"].get<std::string>(), HasSubstr("stochastic estimate"));
  EXPECT_EQ(j["log_z_kind"], "ais_estimate");
  EXPECT_EQ(j["ais"]["runs"], 100);
  EXPECT_EQ(j["ais"]["betas"], 1000);
  EXPECT_EQ(j["ais"]["base"], "uniform");
  EXPECT_EQ(j["ais"]["hidden_summed_out"], false);
  EXPECT_GT(j["ais"]["effective_sample_size"].get<double>(), 50.0);
  EXPECT_EQ(j["exact_reference"]["method"], "junction_tree");
  EXPECT_NEAR(j["exact_reference"]["log_z"].get<double>(), 8.130839878, 1e-8);
  EXPECT_EQ(j["exact_reference"]["within_interval"], true);
  EXPECT_LE(j["ais"]["log_z_low"].get<double>(), 8.130839878);
  EXPECT_GE(j["ais"]["log_z_high"].get<double>(), 8.130839878);

  const auto text = run_dgm("logz '" + kChain + "' --method ais --betas 1000 --seed 3");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("(natural log, AIS estimate)"));
  EXPECT_THAT(text.out, HasSubstr("log Z interval  ["));
  EXPECT_THAT(text.out, HasSubstr("exact log Z  8.130839878  (junction tree); AIS − exact = "));
  EXPECT_THAT(text.out, HasSubstr("inside the interval"));
  EXPECT_THAT(text.out, HasSubstr("# answer: approximate (annealed importance sampling"));
}

TEST(AisCli, RbmWithDataBaseSumsOutTheHiddenLayerAndThreadsDoNotMatter) {
  const std::string dir = testing::scratch_dir();
  const std::string model = testing::write_file(dir, "rbm.pbtxt", kRbm);
  const std::string data = testing::write_file(dir, "train.csv", kRbmData);
  std::string out[2];
  for (int t = 1; t <= 2; ++t) {
    const auto r = run_dgm("logz '" + model + "' --method ais --betas 800 --runs 60 --data '" +
                           data + "' --threads " + std::to_string(t) + " --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["ais"]["base"], "data_marginals");
    EXPECT_EQ(j["ais"]["hidden_summed_out"], true);
    EXPECT_EQ(j["exact_reference"]["method"], "rbm_enumeration");
    EXPECT_EQ(j["exact_reference"]["within_interval"], true);
    out[t - 1] = j["log_z"].dump();
  }
  EXPECT_EQ(out[0], out[1]);
}

TEST(AisCli, FlagsThatDoNotApplyAndBadValuesAreErrors) {
  auto expect_error = [](const std::string& args, const std::string& message) {
    const auto r = run_dgm(args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.out;
    EXPECT_THAT(r.err, HasSubstr(message)) << args;
  };
  expect_error("logz '" + kChain + "' --runs 5", "--runs applies to --method ais only");
  expect_error("logz '" + kChain + "' --method bp --data x.npy", "--data applies to --method ais");
  expect_error("logz '" + kChain + "' --method ais --runs 1", "at least 2 runs");
  expect_error("logz '" + kChain + "' --method ais --betas 1", "at least 2 βs");
  expect_error("logz '" + kChain + "' --method ais --visible s", "give --data too");
  expect_error("logz '" + kChain + "' --method ais --data /nonexistent/train.npy",
               "/nonexistent/train.npy");
  // Other methods' documents carry the new fields as null.
  const auto exact = run_dgm("logz '" + kChain + "' --format json");
  ASSERT_EQ(exact.exit_code, 0);
  const auto j = nlohmann::json::parse(exact.out);
  EXPECT_TRUE(j["ais"].is_null());
  EXPECT_TRUE(j["exact_reference"].is_null());
}

TEST(ScoreCli, MeanLogLikelihoodOfAnRbmMatchesTheLibrary) {
  const std::string dir = testing::scratch_dir();
  const std::string model = testing::write_file(dir, "rbm.pbtxt", kRbm);
  const std::string data = testing::write_file(dir, "test.csv", kRbmData);
  const auto r = run_dgm("score '" + model + "' --data '" + data + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const engine::CompiledModel m = engine::load_compiled(model);
  const learning::Dataset d = learning::read_dataset(data);
  const learning::VisibleLayout l = learning::visible_layout(*m.graph, {}, d.width, data);
  const learning::ScoreResult s =
      learning::score(m, d, l, learning::model_log_z(m, learning::LogZMethod::kExact));
  EXPECT_NEAR(j["mean_log_likelihood"].get<double>(), s.mean_log_likelihood, 1e-12);
  EXPECT_EQ(j["examples"], 5);
  EXPECT_EQ(j["hidden_variables"], 5);
  EXPECT_EQ(j["hidden_sum"], "rbm_free_energy");
  EXPECT_EQ(j["exact"], true);
  EXPECT_EQ(j["log_z"]["method"], "exact");
  EXPECT_GT(j["standard_error"].get<double>(), 0.0);
  EXPECT_TRUE(j["rmse"].is_null());

  const auto ais = run_dgm("score '" + model + "' --data '" + data +
                           "' --logz ais --betas 800 --runs 60 --format json");
  ASSERT_EQ(ais.exit_code, 0) << ais.err;
  const auto a = nlohmann::json::parse(ais.out);
  EXPECT_EQ(a["exact"], false);
  EXPECT_EQ(a["ais"]["base"], "data_marginals");
  EXPECT_LE(a["interval"]["low"].get<double>(), s.mean_log_likelihood);
  EXPECT_GE(a["interval"]["high"].get<double>(), s.mean_log_likelihood);

  const auto given = run_dgm("score '" + model + "' --data '" + data + "' --logz 12.5");
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_THAT(given.out, HasSubstr("log Z                12.5"));
  EXPECT_THAT(given.out, HasSubstr("5 hidden variable(s) summed out (RBM free energy)"));
}

TEST(ScoreCli, RmseAgainstAReference) {
  const std::string dir = testing::scratch_dir();
  const std::string a = testing::write_file(dir, "a.pbtxt", R"(
    variables { name: "s" shape: [2] cardinality: 2 }
    parameters { name: "b" shape: [2] value: [1, 2] learnable: true }
    factors { name: "f" unary { log_odds: "b" } each: "s" })");
  const std::string b = testing::write_file(dir, "b.pbtxt", R"(
    variables { name: "s" shape: [2] cardinality: 2 }
    parameters { name: "b" shape: [2] value: [1, 0] }
    factors { name: "f" unary { log_odds: "b" } each: "s" })");
  const auto r = run_dgm("score '" + a + "' --reference '" + b + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("rmse                 1.414213562  over 2 values"));
  const auto j =
      nlohmann::json::parse(run_dgm("score '" + a + "' --reference '" + b + "' --format json").out);
  EXPECT_NEAR(j["rmse"]["rmse"].get<double>(), std::sqrt(2.0), 1e-12);
  EXPECT_EQ(j["rmse"]["parameters"][0]["name"], "b");
  EXPECT_TRUE(j["mean_log_likelihood"].is_null());
}

TEST(ScoreCli, BadInputIsAClearError) {
  const std::string dir = testing::scratch_dir();
  const std::string bad =
      testing::write_file(dir, "bad.csv", "0,1,0,1,0,1,0,1,0,1\n1,1,1,1,1,1,1,1,1,2\n");
  const std::string narrow = testing::write_file(dir, "narrow.csv", "0,1,0\n");
  auto expect_error = [](const std::string& args, const std::string& message) {
    const auto r = run_dgm(args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.out;
    EXPECT_THAT(r.err, HasSubstr(message)) << args;
  };
  expect_error("score '" + kChain + "' --data '" + bad + "'",
               "bad.csv: row 1, column 9: value 2 for s[9]");
  expect_error("score '" + kChain + "' --data '" + narrow + "'",
               "narrow.csv: 3 values per example match no variable group");
  expect_error("score '" + kChain + "' --data '" + dir + "/missing.npy'", "missing.npy");
  expect_error("score '" + kChain + "'", "needs --data");
  expect_error("score '" + kChain + "' --data '" + narrow + "' --logz nope",
               "--logz takes exact, ais or a finite number");
  expect_error("score '" + kChain + "' --data '" + narrow + "' --logz inf", "got 'inf'");
  expect_error("score '" + kChain + "' --data '" + bad + "' --runs 4",
               "--runs applies to --logz ais only");
  expect_error(
      "score '" + kChain + "' --reference '" + source_path("examples/ising_2d.pbtxt") + "'",
      "no parameter 'h' to compare with");
}

}  // namespace
}  // namespace dgm
